/// The sixteen event types of the contract (EVENTS.md).
public enum EventType: UInt8, CaseIterable, Sendable, Hashable, Codable {
    case financePayment, financeReceipt
    case procurementRequest, procurementApproval, procurementQuote, procurementContract, procurementAcceptance
    case laborAttendance, laborWage
    case leaseContract, leaseRentDue, leaseRenewed, leaseTerminated
    case sealApplication, sealApproval, sealUsage

    /// The name on the wire, e.g. `finance.payment`.
    public var name: String {
        switch self {
        case .financePayment: "finance.payment"
        case .financeReceipt: "finance.receipt"
        case .procurementRequest: "procurement.request"
        case .procurementApproval: "procurement.approval"
        case .procurementQuote: "procurement.quote"
        case .procurementContract: "procurement.contract"
        case .procurementAcceptance: "procurement.acceptance"
        case .laborAttendance: "labor.attendance"
        case .laborWage: "labor.wage"
        case .leaseContract: "lease.contract"
        case .leaseRentDue: "lease.rent_due"
        case .leaseRenewed: "lease.renewed"
        case .leaseTerminated: "lease.terminated"
        case .sealApplication: "seal.application"
        case .sealApproval: "seal.approval"
        case .sealUsage: "seal.usage"
        }
    }

    /// The default Kafka topic of the type.
    public var topic: String {
        switch self {
        case .financePayment, .financeReceipt: "village.finance"
        case .procurementRequest, .procurementApproval, .procurementQuote, .procurementContract, .procurementAcceptance: "village.procurement"
        case .laborAttendance, .laborWage: "village.labor"
        case .leaseContract, .leaseRentDue, .leaseRenewed, .leaseTerminated: "village.lease"
        case .sealApplication, .sealApproval, .sealUsage: "village.seal"
        }
    }

    /// The five default topics.
    public static let topics = ["village.finance", "village.procurement", "village.labor", "village.lease", "village.seal"]

    public init?(name: String) {
        guard let t = EventType.allCases.first(where: { $0.name == name }) else { return nil }
        self = t
    }

    /// Fields of this type (besides the common ones), in slot order.
    public var fields: [FieldSpec] { FieldCatalog.layouts[Int(rawValue)] }

    /// The slot of a field in events of this type, or nil if the type has no such field.
    @inlinable
    public func slot(of field: Field) -> Int? {
        let s = FieldCatalog.slotTable[Int(rawValue) &* Field.allCases.count &+ Int(field.rawValue)]
        return s < 0 ? nil : Int(s)
    }
}
