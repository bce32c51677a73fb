/// What villages buy, at what reference prices, and the words their
/// bookkeepers use.
enum Catalog {
    /// When an item is mostly bought.
    enum Season: UInt8, Sendable { case any, spring, autumn, infrastructure }

    struct Item: Sendable {
        let name: StaticString
        /// The reference unit price in fen; nil: not in `reference_prices`.
        let reference: Int64?
        let kind: VendorKind
        let quantity: ClosedRange<Int>
        /// Quantity may have one decimal (tons of fertilizer, cubic metres).
        let fractional: Bool
        let season: Season
    }

    static let items: [Item] = [
        Item(name: "cement_ton", reference: 465_00, kind: .materials, quantity: 5...120, fractional: true, season: .infrastructure),
        Item(name: "rebar_ton", reference: 3980_00, kind: .materials, quantity: 1...30, fractional: true, season: .infrastructure),
        Item(name: "river_sand_m3", reference: 96_00, kind: .materials, quantity: 10...300, fractional: true, season: .infrastructure),
        Item(name: "crushed_stone_m3", reference: 88_00, kind: .materials, quantity: 10...400, fractional: true, season: .infrastructure),
        Item(name: "c30_concrete_m3", reference: 455_00, kind: .construction, quantity: 10...260, fractional: true, season: .infrastructure),
        Item(name: "asphalt_mix_ton", reference: 560_00, kind: .construction, quantity: 20...400, fractional: true, season: .infrastructure),
        Item(name: "pvc_pipe_m", reference: 9_20, kind: .materials, quantity: 100...3000, fractional: false, season: .any),
        Item(name: "pe_water_pipe_m", reference: 31_50, kind: .materials, quantity: 50...2500, fractional: false, season: .infrastructure),
        Item(name: "hollow_brick_piece", reference: 70, kind: .materials, quantity: 2000...60000, fractional: false, season: .infrastructure),
        Item(name: "red_brick_piece", reference: 47, kind: .materials, quantity: 2000...50000, fractional: false, season: .infrastructure),
        Item(name: "curb_stone_m", reference: 45_00, kind: .construction, quantity: 50...1200, fractional: false, season: .infrastructure),
        Item(name: "steel_guardrail_m", reference: 172_00, kind: .construction, quantity: 20...800, fractional: false, season: .infrastructure),
        Item(name: "drain_culvert_m", reference: 580_00, kind: .construction, quantity: 5...80, fractional: false, season: .infrastructure),
        Item(name: "street_lamp_set", reference: 1280_00, kind: .construction, quantity: 4...60, fractional: false, season: .any),
        Item(name: "solar_street_lamp_set", reference: 1750_00, kind: .construction, quantity: 4...50, fractional: false, season: .any),
        Item(name: "permeable_paver_m2", reference: 62_00, kind: .construction, quantity: 100...3000, fractional: false, season: .infrastructure),
        Item(name: "compound_fertilizer_ton", reference: 2950_00, kind: .agri, quantity: 2...40, fractional: true, season: .spring),
        Item(name: "organic_fertilizer_ton", reference: 980_00, kind: .agri, quantity: 5...80, fractional: true, season: .spring),
        Item(name: "rice_seed_kg", reference: 38_50, kind: .agri, quantity: 50...1500, fractional: false, season: .spring),
        Item(name: "camphor_sapling", reference: 15_20, kind: .agri, quantity: 100...3000, fractional: false, season: .spring),
        Item(name: "osmanthus_sapling", reference: 85_00, kind: .agri, quantity: 20...600, fractional: false, season: .spring),
        Item(name: "pesticide_bottle", reference: 23_00, kind: .agri, quantity: 50...1200, fractional: false, season: .spring),
        Item(name: "irrigation_pump_set", reference: 2380_00, kind: .agri, quantity: 1...12, fractional: false, season: .spring),
        Item(name: "a4_paper_box", reference: 128_00, kind: .office, quantity: 2...40, fractional: false, season: .any),
        Item(name: "laptop_computer", reference: 4899_00, kind: .office, quantity: 1...6, fractional: false, season: .any),
        Item(name: "laser_printer", reference: 1650_00, kind: .office, quantity: 1...4, fractional: false, season: .any),
        Item(name: "office_chair", reference: 360_00, kind: .office, quantity: 2...30, fractional: false, season: .any),
        Item(name: "filing_cabinet", reference: 780_00, kind: .office, quantity: 1...12, fractional: false, season: .any),
        Item(name: "toner_cartridge", reference: 215_00, kind: .office, quantity: 2...24, fractional: false, season: .any),
        Item(name: "garbage_bin_240l", reference: 295_00, kind: .services, quantity: 10...300, fractional: false, season: .any),
        Item(name: "fire_extinguisher_4kg", reference: 75_00, kind: .services, quantity: 10...200, fractional: false, season: .any),
        Item(name: "surveillance_camera", reference: 690_00, kind: .services, quantity: 4...80, fractional: false, season: .any),
        Item(name: "publicity_board_m2", reference: 180_00, kind: .services, quantity: 5...120, fractional: false, season: .any),
        // No reference price: quotes for these never raise R11.
        Item(name: "landscape_rock_ton", reference: nil, kind: .agri, quantity: 5...60, fractional: true, season: .autumn),
        Item(name: "custom_signage_set", reference: nil, kind: .services, quantity: 1...20, fractional: false, season: .any),
        Item(name: "stage_rental_day", reference: nil, kind: .services, quantity: 1...5, fractional: false, season: .any),
    ]

    /// Item categories only the injected cases use (with their reference prices).
    static let caseOnlyItems: [(StaticString, Int64)] = [
        ("ceramic_tile_m2", 58_00),
        ("rubber_hose_m", 12_70),
    ]

    // MARK: words

    static let subsidyPurposes: [StaticString] = ["困难群众临时救助", "耕地地力保护补贴", "春节慰问金", "高龄老人生活补贴", "低保家庭补助", "残疾人两项补贴", "退役军人慰问"]
    static let officePurposes: [StaticString] = ["购买办公用品", "打印耗材", "报刊订阅费", "办公设备维修", "网络宽带费"]
    static let travelPurposes: [StaticString] = ["差旅费报销", "赴县参加培训差旅费", "外出考察交通费", "公务用车加油费"]
    static let hospitalityPurposes: [StaticString] = ["公务接待", "上级检查工作餐", "招商接待用餐"]
    static let engineeringPurposes: [StaticString] = ["道路硬化工程款", "河道清淤工程款", "村内排水改造工程款", "文化礼堂修缮工程款", "美丽乡村建设工程款"]
    static let procurementPurposes: [StaticString] = ["采购货款", "材料款", "设备款", "苗木款"]
    static let laborPurposes: [StaticString] = ["保洁人员劳务费", "护林员劳务费", "临时用工劳务费"]
    static let otherPurposes: [StaticString] = ["其他支出", "水电费", "会议费", "党员活动经费", "村民代表误工补贴"]
    static let leasePurposes: [StaticString] = ["租用场地费", "租赁费"]
    static let sealPurposes: [StaticString] = ["用印申请", "合同盖章", "出具证明", "报送材料", "财务凭证盖章"]
    static let documentTypes: [StaticString] = ["contract", "payment_voucher", "certificate", "notice", "report", "letter", "minutes"]
    static let sealNames: [StaticString] = ["公章", "财务专用章", "合同专用章", "党组织公章"]
    static let assetKinds: [StaticString] = ["耕地", "鱼塘", "厂房", "店面", "山林", "仓库"]
}
