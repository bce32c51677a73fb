/// Every type-specific field name of the contract, plus `source`.
public enum Field: UInt8, CaseIterable, Sendable, Hashable, Codable {
    case source
    case voucherNo, amount, payeeID, category, approverID, payeeName, payeeAccount, purpose
    case procurementID, projectID, leaseID, decisionRef, payerID
    case itemCategory, budgetAmount, requesterID, approvedAmount, vendorID, unitPrice, quantity
    case signedBy, result, inspectorIDs
    case workerID, workDate, hours, period
    case assetID, lesseeID, startDate, endDate, annualRent, dueDate
    case applicationID, sealID, applicantID, documentType, decision, operatorID

    /// The JSON name, e.g. `payee_id`.
    public var name: String { FieldCatalog.names[Int(rawValue)] }

    public init?(name: String) {
        guard let i = FieldCatalog.names.firstIndex(of: name) else { return nil }
        self = Field(rawValue: UInt8(i))!
    }

    /// The value kind of the field.
    public var kind: FieldKind {
        switch self {
        case .amount, .budgetAmount, .approvedAmount, .unitPrice, .annualRent: .money
        case .quantity, .hours: .number
        case .workDate, .startDate, .endDate, .dueDate: .date
        case .period: .month
        case .category, .result, .decision: .enumeration
        case .inspectorIDs: .stringList
        default: .string
        }
    }

    /// Optional ids whose empty string counts as absent (EVENTS.md "Values, precisely").
    public var emptyMeansAbsent: Bool {
        switch self {
        case .decisionRef, .applicationID, .procurementID, .projectID, .leaseID: true
        default: false
        }
    }

    /// True for ids of people and organisations, which the UI masks by default.
    public var isPersonalID: Bool {
        switch self {
        case .payeeID, .approverID, .payerID, .requesterID, .vendorID, .signedBy, .inspectorIDs,
             .workerID, .lesseeID, .applicantID, .operatorID, .payeeAccount: true
        default: false
        }
    }
}

/// What a field holds.
public enum FieldKind: UInt8, Sendable, Hashable, Codable {
    case string, money, number, date, month, enumeration, stringList
}

/// A field of an event type: its name, whether it is required, and for
/// enumerations the allowed values (case-sensitive).
public struct FieldSpec: Sendable, Hashable {
    public let field: Field
    public let required: Bool
    public let allowed: [String]

    init(_ field: Field, _ required: Bool, _ allowed: [String] = []) {
        self.field = field
        self.required = required
        self.allowed = allowed
    }
}

/// The static layout of every event type: which fields, required or optional,
/// and at which slot each is stored.
public enum FieldCatalog {
    public static let names: [String] = [
        "source",
        "voucher_no", "amount", "payee_id", "category", "approver_id", "payee_name", "payee_account", "purpose",
        "procurement_id", "project_id", "lease_id", "decision_ref", "payer_id",
        "item_category", "budget_amount", "requester_id", "approved_amount", "vendor_id", "unit_price", "quantity",
        "signed_by", "result", "inspector_ids",
        "worker_id", "work_date", "hours", "period",
        "asset_id", "lessee_id", "start_date", "end_date", "annual_rent", "due_date",
        "application_id", "seal_id", "applicant_id", "document_type", "decision", "operator_id",
    ]

    public static let paymentCategories = ["engineering", "procurement", "labor", "subsidy", "office", "travel", "hospitality", "lease", "other"]
    public static let receiptCategories = ["rent", "subsidy", "sale", "other"]
    public static let acceptanceResults = ["pass", "fail"]
    public static let sealDecisions = ["approved", "rejected"]
    public static let roles = ["secretary", "director", "committee_member", "accountant", "supervisor", "villager"]

    /// The most slots any type needs.
    public static let maxSlots = 13

    static func spec(_ t: EventType) -> [FieldSpec] {
        let src = FieldSpec(.source, false)
        switch t {
        case .financePayment:
            return [src, .init(.voucherNo, true), .init(.amount, true), .init(.payeeID, true),
                    .init(.category, true, paymentCategories), .init(.approverID, true),
                    .init(.payeeName, false), .init(.payeeAccount, false), .init(.purpose, false),
                    .init(.procurementID, false), .init(.projectID, false), .init(.leaseID, false), .init(.decisionRef, false)]
        case .financeReceipt:
            return [src, .init(.voucherNo, true), .init(.amount, true), .init(.payerID, true),
                    .init(.category, true, receiptCategories), .init(.leaseID, false)]
        case .procurementRequest:
            return [src, .init(.procurementID, true), .init(.itemCategory, true), .init(.budgetAmount, true),
                    .init(.requesterID, true), .init(.projectID, false)]
        case .procurementApproval:
            return [src, .init(.procurementID, true), .init(.approverID, true), .init(.approvedAmount, true)]
        case .procurementQuote:
            return [src, .init(.procurementID, true), .init(.vendorID, true), .init(.itemCategory, true),
                    .init(.unitPrice, true), .init(.quantity, true)]
        case .procurementContract:
            return [src, .init(.procurementID, true), .init(.vendorID, true), .init(.amount, true), .init(.signedBy, true)]
        case .procurementAcceptance:
            return [src, .init(.procurementID, true), .init(.result, true, acceptanceResults), .init(.inspectorIDs, false)]
        case .laborAttendance:
            return [src, .init(.workerID, true), .init(.projectID, true), .init(.workDate, true), .init(.hours, true)]
        case .laborWage:
            return [src, .init(.workerID, true), .init(.projectID, true), .init(.amount, true), .init(.period, true)]
        case .leaseContract:
            return [src, .init(.leaseID, true), .init(.assetID, true), .init(.lesseeID, true),
                    .init(.startDate, true), .init(.endDate, true), .init(.annualRent, true)]
        case .leaseRentDue:
            return [src, .init(.leaseID, true), .init(.dueDate, true), .init(.amount, true)]
        case .leaseRenewed:
            return [src, .init(.leaseID, true), .init(.endDate, true)]
        case .leaseTerminated:
            return [src, .init(.leaseID, true)]
        case .sealApplication:
            return [src, .init(.applicationID, true), .init(.sealID, true), .init(.applicantID, true),
                    .init(.documentType, true), .init(.purpose, false)]
        case .sealApproval:
            return [src, .init(.applicationID, true), .init(.approverID, true), .init(.decision, true, sealDecisions)]
        case .sealUsage:
            return [src, .init(.sealID, true), .init(.operatorID, true), .init(.documentType, true), .init(.applicationID, false)]
        }
    }

    public static let layouts: [[FieldSpec]] = EventType.allCases.map { spec($0) }

    /// slotTable[type * fieldCount + field] = slot or -1.
    public static let slotTable: [Int8] = {
        var t = [Int8](repeating: -1, count: EventType.allCases.count * Field.allCases.count)
        for type in EventType.allCases {
            for (i, s) in spec(type).enumerated() {
                t[Int(type.rawValue) * Field.allCases.count + Int(s.field.rawValue)] = Int8(i)
            }
        }
        return t
    }()
}
