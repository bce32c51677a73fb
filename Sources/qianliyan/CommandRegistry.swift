import ArgumentParser

/// Every subcommand of the CLI, one line each. Add new commands here.
enum CommandRegistry {
    static let all: [ParsableCommand.Type] = [
        RulesCommand.self,
        ReplayCommand.self,
        AlertsCommand.self,
        ServeCommand.self,
        UsersCommand.self,
        RunCommand.self,
        BenchCommand.self,
        DemoCommand.self,
        DBCommand.self,
        KafkaCommand.self,
        ProduceCommand.self,
        GenerateCommand.self,
    ]
}
