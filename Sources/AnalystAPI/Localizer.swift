/// The UI's language: Chinese (zh-CN) by default, English on request
/// (`?lang=en`, remembered in the `qly_lang` cookie).
enum Language: String, Sendable, CaseIterable {
    case zh, en

    /// The `lang` attribute of the page.
    var htmlLang: String { self == .zh ? "zh-CN" : "en" }
}

/// Translates the UI's English strings (the keys) to Chinese. A missing
/// translation shows the English text (a test checks there are none).
struct Localizer: Sendable {
    let language: Language

    /// The text in the user's language.
    func callAsFunction(_ english: String) -> String {
        language == .en ? english : (Localizer.zh[english] ?? english)
    }

    /// Label of a status value.
    func status(_ s: String) -> String { self(Localizer.statusEN[s] ?? s) }
    /// Label of a severity value.
    func severity(_ s: String) -> String { self(Localizer.severityEN[s] ?? s) }
    /// Label of a disposition value.
    func disposition(_ s: String) -> String { self(Localizer.dispositionEN[s] ?? s) }
    /// Label of a role.
    func role(_ s: String) -> String { self(Localizer.roleEN[s] ?? s) }
    /// Label of an audit action.
    func action(_ s: String) -> String { self(Localizer.actionEN[s] ?? s) }

    static let statusEN = ["new": "New", "acknowledged": "Acknowledged", "assigned": "Assigned", "escalated": "Escalated", "closed": "Closed"]
    static let severityEN = ["low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"]
    static let dispositionEN = ["confirmed": "Confirmed", "false_positive": "False positive", "duplicate": "Duplicate", "needs_info": "Needs information"]
    static let roleEN = ["analyst": "Analyst", "lead": "Lead", "rule_author": "Rule author", "admin": "Administrator"]
    static let actionEN = [
        "acknowledge": "Acknowledged", "assign": "Assigned", "comment": "Commented", "escalate": "Escalated", "close": "Closed",
        "reopen": "Reopened", "reveal": "Revealed personal ids", "export": "Exported", "search": "Searched an id",
        "login": "Logged in", "logout": "Logged out", "login_failed": "Failed login", "demo_login": "Demo login",
    ]

    /// Every English key the UI uses with its Chinese text.
    static let zh: [String: String] = [
        // navigation and chrome
        "Alert queue": "预警队列", "Queue": "队列", "Overview": "总览", "Integrity map": "廉情地图", "Rules": "规则",
        "Audit log": "审计日志", "Log out": "退出", "Log in": "登录", "User name": "用户名", "Password": "密码",
        "Wrong user name or password.": "用户名或密码错误。", "Signed in as": "当前用户",
        "Qianliyan — village micro-power oversight": "千里眼 — 村级小微权力监督",
        "Too many failed logins; try again in 15 minutes.": "登录失败次数过多，请 15 分钟后再试。",
        // queue
        "Filters": "筛选", "District": "区县", "Township": "乡镇", "Village": "村", "Rule": "规则", "Severity": "严重程度",
        "Status": "状态", "Assignee": "处理人", "Anyone": "任何人", "Me": "我", "Unassigned": "未分配", "From": "起",
        "Until": "止", "Text": "关键词", "Search summary and key": "搜索摘要和键", "Apply": "筛选", "Reset": "重置",
        "Event time": "事件时间", "Detection time": "发现时间", "Newest first": "最新在前", "Oldest first": "最早在前",
        "All": "全部", "Any": "不限", "Detected": "发现于", "Event": "事件", "Summary": "摘要", "Key": "键",
        "Next page": "下一页", "First page": "第一页", "No alerts match.": "没有符合条件的预警。",
        "new alerts — show": "条新预警 — 显示", "Export CSV": "导出 CSV", "Selected": "所选",
        "Assign selected to": "将所选分配给", "Close selected as": "将所选关闭为", "Reason": "理由",
        "alerts": "条预警", "Select all": "全选", "Bulk action done": "批量操作完成", "skipped": "跳过",
        "Unknown filter values were ignored": "已忽略无法识别的筛选值", "Sort": "排序", "Time": "时间",
        // detail
        "Alert": "预警", "Figures against the threshold": "数值与阈值", "Figure": "指标", "Value": "数值",
        "Threshold": "阈值", "Evidence": "证据", "Evidence timeline": "证据时间线", "Raw JSON": "原始 JSON", "Field": "字段",
        "Relation path": "关联路径", "Payee": "收款人", "Cadre": "干部", "Via": "经由", "relative of": "的亲属",
        "Other alerts on the same key": "同一键的其他预警", "Other alerts in the village": "本村其他预警",
        "Rule text": "规则原文", "Version": "版本", "History": "处理记录", "Comments": "评论", "None.": "无。",
        "Acknowledge": "确认收到", "Assign to me": "分配给我", "Assign": "分配", "Comment": "评论", "Escalate": "上报",
        "Close": "关闭", "Reopen": "重新打开", "Disposition": "处置结论", "Reveal personal ids": "显示个人身份信息",
        "Personal ids are masked. Revealing them is recorded in the audit log.": "个人身份号码已脱敏显示。查看原文将记入审计日志。",
        "Personal ids are shown (revealed by you; recorded in the audit log).": "个人身份号码正在显示（由您查看，已记入审计日志）。",
        "Workflow": "处理", "Anchor event": "触发事件", "Detected at": "发现时间", "Updated": "更新于",
        "This rule is not in the rule files the server was given.": "服务器未加载此规则的源文件。",
        "The alert was raised by version": "此预警由版本", "the text shown is version": "触发；下面显示的是版本",
        "Window": "时间窗口", "by": "由", "at": "于", "Role": "角色", "Districts": "区县",
        "Not found": "未找到", "The alert does not exist or is outside your districts.": "预警不存在，或不在您负责的区县内。",
        "Forbidden": "无权操作", "Conflict": "状态冲突", "Bad request": "请求有误",
        "The form has expired. Go back, reload the page and try again.": "表单已过期，请返回并刷新页面后重试。",
        "Back to the queue": "返回队列", "Something went wrong.": "出错了。",
        "Relative": "亲属", "Relation": "关系", "Kind": "类型", "Name": "姓名", "Position": "职务",
        "count": "笔数", "events": "个事件", "event": "个事件", "Alerts": "预警数", "Confirmed": "确认属实", "False positive": "误报",
        // overview
        "Alerts per village and month": "各村每月预警数", "Alerts per rule": "各规则预警数",
        "False-positive rate": "误报率", "Open": "未结", "Closed": "已关闭", "Duplicate": "重复",
        "Needs information": "需补充信息", "Total": "合计", "Month": "月份",
        "false positives among the alerts judged confirmed or false positive": "在已判定为属实或误报的预警中误报所占比例",
        "Click a cell to open the queue filtered to it.": "点击单元格打开相应筛选的队列。",
        // rules
        "Rule page": "规则页面", "Versions": "版本", "Alert volume per week": "每周预警量", "Week": "周",
        "Versions seen in alerts": "预警中出现的版本", "Stored versions": "已存储版本", "Author": "作者", "Message": "说明",
        "Source": "源文件", "First": "最早", "Last": "最近", "Title": "标题",
        "No stored versions (rule_versions is empty or absent).": "没有已存储的版本（rule_versions 为空或不存在）。",
        "Backtest a change": "回测修改", "Rule authors backtest a candidate with:": "规则作者可用以下命令回测候选规则：",
        "Read-only: rules are changed by rule authors with the rules commands.": "只读：规则由规则作者通过 rules 命令修改。",
        // statuses etc.
        "New": "新建", "Acknowledged": "已确认", "Assigned": "已分配", "Escalated": "已上报",
        "Low": "低", "Medium": "中", "High": "高", "Critical": "严重",
        "Analyst": "分析员", "Lead": "组长", "Rule author": "规则作者", "Administrator": "管理员",
        "Commented": "评论", "Reopened": "重新打开", "Revealed personal ids": "查看了个人身份信息", "Exported": "导出",
        "Searched an id": "按号码搜索", "Logged in": "登录", "Logged out": "退出", "Failed login": "登录失败", "Demo login": "演示登录",
        "Actor": "操作人", "Action": "操作", "Details": "详情",
        "English": "English", "中文": "中文",
    ]
}
