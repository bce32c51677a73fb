import EventModel

/// What every page needs: language, user, CSRF token, CSP nonce, and the
/// current path (for the language switch).
struct PageContext: Sendable {
    var t: Localizer
    var principal: Principal?
    /// The CSP nonce of this response's inline script and style.
    var nonce: String
    /// Path and query of the request, without `lang`.
    var path: String
    var query: FormData

    var csrf: String { principal?.csrfToken ?? "" }

    /// A hidden CSRF field for a form.
    var csrfField: String { "<input type=\"hidden\" name=\"_csrf\" value=\"\(HTMLText.escape(csrf))\">" }

    /// The current URL with `lang` switched.
    func languageSwitchURL(_ lang: Language) -> String {
        let pairs = query.pairs.filter { $0.0 != "lang" } + [("lang", lang.rawValue)]
        return path + "?" + pairs.map { HTMLText.urlEncode($0.0) + "=" + HTMLText.urlEncode($0.1) }.joined(separator: "&")
    }
}

/// The page frame, styles and shared formatting helpers.
enum PageLayout {
    /// `&`-escaped text (short name used in templates).
    static func e(_ s: String) -> String { HTMLText.escape(s) }

    /// A whole HTML document.
    static func page(_ title: String, _ ctx: PageContext, active: String = "", body: String, script: String = "") -> String {
        let t = ctx.t
        var nav = ""
        if let p = ctx.principal {
            let items: [(String, String, String)] = [
                ("queue", "/queue", t("Queue")), ("overview", "/overview", t("Integrity map")), ("rules", "/rules", t("Rules")),
            ] + (p.user.role.readsAuditLog ? [("audit", "/audit", t("Audit log"))] : [])
            nav = items.map { id, href, label in
                "<a href=\"\(href)\"\(id == active ? " class=\"active\"" : "")>\(e(label))</a>"
            }.joined()
            nav += "<span class=\"spacer\"></span><span class=\"who\">\(e(p.user.displayName)) · \(e(t.role(p.user.role.rawValue))) · \(e(p.user.districts.joined(separator: ",")))</span>"
            nav += "<form method=\"post\" action=\"/logout\" class=\"inline\">\(ctx.csrfField)<button class=\"link\">\(e(t("Log out")))</button></form>"
        } else {
            nav = "<span class=\"spacer\"></span>"
        }
        let other: Language = t.language == .zh ? .en : .zh
        nav += "<a class=\"lang\" href=\"\(e(ctx.languageSwitchURL(other)))\">\(other == .en ? "English" : "中文")</a>"
        return """
        <!doctype html>
        <html lang="\(t.language.htmlLang)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title)) · 千里眼</title>
        <style nonce="\(ctx.nonce)">\(css)</style>
        </head>
        <body>
        <header><a class="brand" href="/queue">千里眼 <small>Qianliyan</small></a><nav>\(nav)</nav></header>
        <main>
        \(body)
        </main>
        \(script.isEmpty ? "" : "<script nonce=\"\(ctx.nonce)\">\(script)</script>")
        </body>
        </html>
        """
    }

    /// Local date and time, `2023-03-14 10:22`.
    static func time(_ t: Instant) -> String {
        let s = ShanghaiTime.format(t)
        return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(5))
    }

    /// Local date and time with seconds.
    static func timeSeconds(_ t: Instant) -> String {
        let s = ShanghaiTime.format(t)
        return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(8))
    }

    /// A severity badge.
    static func severityBadge(_ s: String, _ t: Localizer) -> String {
        "<span class=\"sev sev-\(e(s))\">\(e(t.severity(s)))</span>"
    }

    /// A status badge.
    static func statusBadge(_ s: String, _ t: Localizer) -> String {
        "<span class=\"st st-\(e(s))\">\(e(t.status(s)))</span>"
    }

    static let css = """
    :root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--accent:#b42318;--link:#0b57d0}
    *{box-sizing:border-box}
    body{margin:0;font:14px/1.45 system-ui,"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;color:var(--fg);background:#fff}
    a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
    header{display:flex;align-items:center;gap:16px;padding:8px 16px;background:#7a1010;color:#fff}
    header a,header .who{color:#fff}header .brand{font-weight:700;font-size:18px}header small{font-weight:400;opacity:.8}
    nav{display:flex;align-items:center;gap:14px;flex:1}nav a.active{border-bottom:2px solid #fff}nav .spacer{flex:1}
    nav .who{opacity:.85;font-size:12px}button.link{background:none;border:0;color:#fff;cursor:pointer;font:inherit;padding:0}
    main{padding:12px 16px;max-width:1500px}
    h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:20px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
    table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
    th{background:var(--bg);font-weight:600;white-space:nowrap}tr.fresh{background:#fff8c5}
    td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
    .muted{color:var(--muted)}.small{font-size:12px}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
    .sev{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;color:#fff;white-space:nowrap}
    .sev-low{background:#6e7781}.sev-medium{background:#bf8700}.sev-high{background:#cf222e}.sev-critical{background:#82071e}
    .st{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;border:1px solid var(--line);white-space:nowrap}
    .st-new{background:#ddf4ff}.st-acknowledged{background:#fff8c5}.st-assigned{background:#dafbe1}.st-escalated{background:#ffebe9}.st-closed{background:#eaeef2}
    form.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end;background:var(--bg);padding:8px;border:1px solid var(--line);border-radius:6px}
    form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
    select,input,textarea,button{font:inherit}select[multiple]{min-height:64px}
    input[type=text],input[type=date],input[type=password],select,textarea{border:1px solid var(--line);border-radius:4px;padding:3px 5px;background:#fff}
    button{border:1px solid var(--line);background:#fff;border-radius:4px;padding:3px 10px;cursor:pointer}
    button.primary{background:#7a1010;color:#fff;border-color:#7a1010}
    .tabs{display:flex;gap:4px;margin:10px 0;flex-wrap:wrap}.tabs a{padding:3px 10px;border:1px solid var(--line);border-radius:14px;color:var(--fg)}
    .tabs a.on{background:#7a1010;color:#fff;border-color:#7a1010}.tabs .n{font-variant-numeric:tabular-nums;opacity:.8}
    .banner{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;margin:8px 0;display:none}
    .banner.show{display:block}.notice{background:#ddf4ff;border:1px solid #54aeff;padding:6px 10px;border-radius:6px;margin:8px 0}
    .warn{background:#fff1e5;border:1px solid #fb8f44;padding:6px 10px;border-radius:6px;margin:8px 0}
    .grid{display:grid;grid-template-columns:minmax(0,2fr) minmax(300px,1fr);gap:20px}
    .card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin-bottom:12px}
    .summary{font-size:16px;margin:6px 0 10px}
    .facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}.facts dt{color:var(--muted)}.facts dd{margin:0}
    .timeline{border-left:3px solid var(--line);margin-left:6px;padding-left:14px}
    .timeline .ev{position:relative;margin-bottom:12px}.timeline .ev:before{content:"";position:absolute;left:-21px;top:4px;width:11px;height:11px;border-radius:50%;background:#7a1010}
    .timeline .ev.anchor:before{background:#cf222e;box-shadow:0 0 0 3px #ffebe9}
    pre{background:var(--bg);border:1px solid var(--line);padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}
    details summary{cursor:pointer;color:var(--link)}
    .actions form{margin:6px 0}.actions textarea{width:100%;min-height:48px}.actions .row{display:flex;gap:6px;flex-wrap:wrap;align-items:center}
    .bar{fill:#b42318}.bar.fp{fill:#6e7781}svg text{font:11px system-ui,"Noto Sans CJK SC",sans-serif;fill:#1f2328}svg text.w{fill:#fff}svg text.over{fill:#82071e;font-weight:600}svg a:hover rect{stroke:#1f2328;stroke-width:1.5}
    .path{display:flex;align-items:center;gap:8px;flex-wrap:wrap}.path .node{border:1px solid var(--line);border-radius:6px;padding:4px 8px;background:var(--bg)}
    .path .arrow{color:var(--muted)}
    .login{max-width:340px;margin:60px auto;border:1px solid var(--line);border-radius:8px;padding:20px}
    .login label{display:block;margin:8px 0}.login input{width:100%}
    form.inline{display:inline}
    .bulk{display:flex;gap:8px;flex-wrap:wrap;align-items:center;margin:8px 0;padding:6px 8px;border:1px dashed var(--line);border-radius:6px}
    """
}
