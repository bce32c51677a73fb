import AlertStore
import AnalystAPI
import ArgumentParser
import Foundation

/// `qianliyan users …`: local accounts of the analysts' queue.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage the analysts' accounts and API tokens.",
        discussion: prose("""
        Roles: analyst (works the queue), lead (also closes escalated alerts and
        reopens), rule_author (reads, comments, rule pages), admin (lead + audit log).
        A user sees only the alerts of her districts (6-digit codes).

        Examples:
          qianliyan users add wang --role analyst --district 330521
          echo 'a long passphrase' | qianliyan users add li --role lead \\
              --district 330521 --district 330522 --password-stdin
          qianliyan users list
          qianliyan users token wang --label nightly-report  # prints it once
          qianliyan users passwd wang       # prints a new random password
          qianliyan users disable wang      # ends her sessions and tokens
        """),
        subcommands: [Add.self, List.self, Token.self, Passwd.self, Disable.self, Enable.self])

    /// Who runs the command, for the audit log.
    static var actor: String { "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

    static func readPassword() throws -> String {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("--password-stdin: no password on standard input")
        }
        return line
    }
}

extension UsersCommand {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (a random password is printed unless --password-stdin).")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Login name (letters, digits, . _ -).") var name: String
        @Option(help: "analyst, lead, rule_author or admin.") var role: String
        @Option(help: "6-digit district code (repeatable).") var district: [String] = []
        @Option(name: .customLong("display-name"), help: "Name shown in the UI.") var displayName = ""
        @Flag(name: .customLong("password-stdin"), help: "Read the password (8+ characters) from the first line of standard input.")
        var passwordStdin = false

        func validate() throws {
            guard AnalystRole(rawValue: role) != nil else { throw ValidationError("--role is analyst, lead, rule_author or admin") }
            guard AnalystUser.isValidName(name) else { throw ValidationError("a user name is 1–64 of A-Z a-z 0-9 . _ - starting with a letter or digit") }
            guard !district.isEmpty else { throw ValidationError("give at least one --district") }
            for d in district where !AnalystUser.isValidDistrict(d) { throw ValidationError("a district code has 6 digits: '\(d)'") }
        }

        func run() async throws {
            let password = passwordStdin ? try UsersCommand.readPassword() : nil
            let store = try await db.store(announce: false)
            let users = UserDirectory(store: store)
            do {
                let generated = try await users.addUser(AnalystUser(name: name, displayName: displayName, role: AnalystRole(rawValue: role)!, districts: district),
                                                        password: password, actor: UsersCommand.actor)
                await store.close()
                print("user \(name) added (\(role), districts \(district.joined(separator: ",")))")
                if let generated { print("password: \(generated)   (shown once; change it with `qianliyan users passwd \(name) --password-stdin`)") }
            } catch let e as AnalystAPIError {
                await store.close()
                FileHandle.standardError.write("\(e.message)\n")
                throw ExitCode(e.code == .conflict ? 1 : 64)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let store = try await db.store(announce: false)
            let all = try await UserDirectory(store: store).users()
            await store.close()
            print("name".padding(toLength: 20, withPad: " ", startingAt: 0) + "role".padding(toLength: 13, withPad: " ", startingAt: 0) + "districts")
            for u in all {
                print(u.name.padding(toLength: 20, withPad: " ", startingAt: 0) + u.role.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                      + u.districts.joined(separator: ",") + (u.disabled ? "  (disabled)" : ""))
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token for a user (printed once), or revoke all of hers.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "User name.") var name: String
        @Option(help: "What the token is for.") var label = ""
        @Option(help: "Days until it expires (default: never).") var days: Int?
        @Flag(help: "Revoke every token of the user instead.") var revoke = false

        func run() async throws {
            let store = try await db.store(announce: false)
            let users = UserDirectory(store: store)
            do {
                if revoke {
                    let n = try await users.revokeTokens(user: name, actor: UsersCommand.actor)
                    print("\(n) token(s) of \(name) revoked")
                } else {
                    let token = try await users.createToken(user: name, label: label, validDays: days, actor: UsersCommand.actor)
                    print(token)
                    FileHandle.standardError.write("use it as: curl -H 'Authorization: Bearer \(token.prefix(8))…' http://127.0.0.1:8080/api/alerts\n")
                }
                await store.close()
            } catch let e as AnalystAPIError {
                await store.close()
                FileHandle.standardError.write("\(e.message)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (random unless --password-stdin); ends her sessions.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "User name.") var name: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false

        func run() async throws {
            let password = passwordStdin ? try UsersCommand.readPassword() : nil
            let store = try await db.store(announce: false)
            do {
                let generated = try await UserDirectory(store: store).setPassword(user: name, password: password, actor: UsersCommand.actor)
                await store.close()
                print(generated.map { "password: \($0)   (shown once)" } ?? "password of \(name) changed")
            } catch let e as AnalystAPIError {
                await store.close()
                FileHandle.standardError.write("\(e.message)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: ends her sessions and revokes her tokens.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "User name.") var name: String

        func run() async throws {
            let store = try await db.store(announce: false)
            do {
                try await UserDirectory(store: store).setDisabled(user: name, true, actor: UsersCommand.actor)
                await store.close()
                print("user \(name) disabled")
            } catch let e as AnalystAPIError {
                await store.close()
                FileHandle.standardError.write("\(e.message)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "User name.") var name: String

        func run() async throws {
            let store = try await db.store(announce: false)
            do {
                try await UserDirectory(store: store).setDisabled(user: name, false, actor: UsersCommand.actor)
                await store.close()
                print("user \(name) enabled")
            } catch let e as AnalystAPIError {
                await store.close()
                FileHandle.standardError.write("\(e.message)\n")
                throw ExitCode(1)
            }
        }
    }
}
