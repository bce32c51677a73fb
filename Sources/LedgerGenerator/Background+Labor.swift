import EventModel

/// A works project with a crew, attendance every workday and wages monthly.
struct LaborProject: Sendable {
    var village: Int
    var id: [UInt8]
    var workers: [Int]
    var lastDay: Int64
    /// Day rate in fen.
    var rate: Int64
    /// Usual hours in micro-units.
    var hours: Int64
    /// Month (year·12 + month − 1) whose attendance `daysWorked` counts.
    var month: Int64
    var daysWorked: [Int]
    var done = false
}

extension Producer {
    static func monthNumber(_ day: Int64) -> Int64 {
        let (y, m, _) = CivilDate.date(fromDays: day)
        return Int64(y) * 12 + Int64(m - 1)
    }

    static func firstDay(ofMonth mn: Int64) -> Int64 {
        CivilDate.days(year: Int(mn / 12), month: Int(mn % 12) + 1, day: 1)
    }

    /// New projects in a village (harvest and spring planting bring more).
    mutating func backgroundLaborStarts(_ v: Int, _ i: Int) {
        let n = bg.poisson(scale[v] * 0.26 / 115 * seasons[Seasons.Process.labor.rawValue][i])
        for _ in 0..<n { startProject(v) }
    }

    private mutating func startProject(_ v: Int) {
        let vil = world.villages[v]
        let d = today
        projectCounter[v] += 1
        var pw = LineWriter()
        let (year, _, _) = CivilDate.date(fromDays: d)
        pw.raw("XM"); pw.raw(vil.codeBytes); pw.raw("-"); pw.uint(UInt64(year % 100), width: 2); pw.raw("L"); pw.uint(UInt64(projectCounter[v]), width: 3)
        let last = d + Int64(bg.int(7, 60))
        var crew: [Int] = []
        let size = bg.int(2, 8)
        var tries = 0
        while crew.count < size && tries < 40 {
            tries += 1
            let p = vil.workers[bg.int(vil.workers.count)]
            if crew.contains(p) { continue }
            // Workers are rarely on two crews at once (R14 in the background).
            if busyUntil[p] >= d && !bg.chance(0.03) { continue }
            crew.append(p)
            busyUntil[p] = Swift.max(busyUntil[p], last)
        }
        guard !crew.isEmpty else { return }
        let hours: Int64 = [8, 8, 8, 8, 9, 10, 7, 7.5].map { Int64($0 * 1_000_000) }[bg.int(8)]
        projects[v].append(LaborProject(village: v, id: pw.bytes, workers: crew, lastDay: last, rate: Int64(bg.int(16, 32)) * 1000,
                                     hours: hours, month: Producer.monthNumber(d), daysWorked: [Int](repeating: 0, count: crew.count)))
    }

    /// Attendance of every active crew today; wages when a month closes.
    mutating func laborDay(_ v: Int) {
        let d = today
        let mn = Producer.monthNumber(d)
        let sf = Seasons.daysFromSpringFestival(d)
        let weekday = Seasons.weekday(d)
        for pi in projects[v].indices {
            if projects[v][pi].month != mn || d > projects[v][pi].lastDay {
                payWages(v, pi)
                projects[v][pi].month = mn
                for k in projects[v][pi].daysWorked.indices { projects[v][pi].daysWorked[k] = 0 }
                if d > projects[v][pi].lastDay { projects[v][pi].done = true; continue }
            }
            if warmingUp { continue }
            // Sundays mostly off, the Spring Festival off, rain now and then.
            if weekday == 6 && bg.chance(0.8) { continue }
            if sf >= -4 && sf <= 7 { continue }
            if bg.chance(0.08) { continue }
            let village = projects[v][pi].village
            let sys = world.villages[village].attendance
            for k in projects[v][pi].workers.indices where bg.chance(0.88) {
                let worker = projects[v][pi].workers[k]
                var hours = projects[v][pi].hours
                let u = bg.uniform()
                if u < 0.06 { hours = 4_000_000 } else if u < 0.1 { hours += 1_500_000 }
                // Recorded at the end of the day, or by the clerk next morning.
                let t = bg.chance(0.7) ? Producer.at(d, 16, 30) + bg.int64(0, 3 * 3600) * TimeUnit.second + bg.int64(0, 999_999)
                                       : Producer.at(d + 1, 7, 30) + bg.int64(0, 5400) * TimeUnit.second + bg.int64(0, 999_999)
                attendance(village, sys: sys, at: t, worker: world.people[worker].id, project: projects[v][pi].id, workDate: d, hours: hours)
                projects[v][pi].daysWorked[k] += 1
            }
        }
        if projects[v].contains(where: \.done) { projects[v].removeAll(where: \.done) }
    }

    mutating func attendance(_ v: Int, sys: Int, at t: Instant, worker: [UInt8], project: [UInt8], workDate: Int64, hours: Int64) {
        begin(.laborAttendance, sys: sys, village: v, at: t)
        w.key("worker_id"); w.string(worker)
        w.key("project_id"); w.string(project)
        w.key("work_date"); w.date(workDate)
        w.key("hours"); w.micros(hours)
        finish()
    }

    mutating func wage(_ v: Int, at t: Instant, worker: [UInt8], project: [UInt8], amount: Int64, periodDay: Int64) {
        begin(.laborWage, sys: Systems.laborRealName, village: v, at: t)
        w.key("worker_id"); w.string(worker)
        w.key("project_id"); w.string(project)
        money("amount", amount)
        w.key("period"); w.month(ofDay: periodDay)
        finish()
    }

    /// Wages of the project's closing month, paid between the 5th and the 15th of the next.
    private mutating func payWages(_ v: Int, _ pi: Int) {
        let p = projects[v][pi]
        guard p.daysWorked.contains(where: { $0 > 0 }) else { return }
        let periodDay = Producer.firstDay(ofMonth: p.month)
        let payday = Producer.firstDay(ofMonth: p.month + 1) + Int64(bg.int(4, 14))
        for (k, worker) in p.workers.enumerated() where p.daysWorked[k] > 0 {
            wage(p.village, at: officeTime(payday), worker: world.people[worker].id, project: p.id,
                 amount: Int64(p.daysWorked[k]) * p.rate, periodDay: periodDay)
        }
        // A name on the payroll that never came to work (R13 in the background).
        if bg.chance(0.006) {
            let vil = world.villages[p.village]
            let ghost = vil.workers[bg.int(vil.workers.count)]
            if !p.workers.contains(ghost) {
                wage(p.village, at: officeTime(payday), worker: world.people[ghost].id, project: p.id, amount: Int64(bg.int(10, 22)) * p.rate, periodDay: periodDay)
            }
        }
    }
}
