import ArgumentParser

/// 千里眼 Qianliyan — streaming anomaly detection for village micro-power.
@main
struct Qianliyan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qianliyan",
        abstract: "千里眼 — streaming anomaly detection for village micro-power (payments, procurement, wages, leases, seals).",
        discussion: prose("""
        Typical use:
          qianliyan demo                    run everything on embedded defaults
          qianliyan rules check Rules       validate rules (file:line:col errors)
          qianliyan rules test Rules        run every rule's example cases
          qianliyan replay --reference REF ledger.jsonl.gz
                                            replay a ledger into PostgreSQL
          qianliyan alerts list --rule split-payments
                                            read alerts back
        """),
        subcommands: CommandRegistry.all
    )
}
