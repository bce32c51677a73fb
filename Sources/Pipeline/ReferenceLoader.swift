import EventModel
import Foundation

/// Loads the four reference tables from a folder of CSV files
/// (`people.csv`, `vendors.csv`, `reference_prices.csv`, `village_limits.csv`);
/// a missing file is an empty table.
public enum ReferenceLoader {
    public struct LoadError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static func load(directory: String?) throws -> ReferenceTables {
        guard let dir = directory else { return ReferenceTables() }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw LoadError(message: "\(dir): not a folder (expected people.csv, vendors.csv, reference_prices.csv, village_limits.csv)")
        }
        func table(_ name: String) throws -> CSVTable? {
            let path = (dir as NSString).appendingPathComponent(name + ".csv")
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(message: "\(path): cannot read") }
            do {
                return try data.withUnsafeBytes { raw in Result { () throws(CSVTable.ParseError) in try CSVTable(parsingUTF8: raw.bindMemory(to: UInt8.self)) } }.get()
            } catch {
                throw LoadError(message: "\(path):\(error.line): \(error.message)")
            }
        }
        do {
            return try ReferenceTables(people: try table("people"), vendors: try table("vendors"),
                                       referencePrices: try table("reference_prices"), villageLimits: try table("village_limits"))
        } catch let e as ReferenceTables.LoadError {
            throw LoadError(message: (dir as NSString).appendingPathComponent(e.description))
        }
    }
}
