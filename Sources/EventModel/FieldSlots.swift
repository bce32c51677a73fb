/// The 13 type-specific field slots of an event, stored inline.
///
/// A plain struct with a `switch` subscript rather than an `InlineArray`:
/// reading one slot of a *borrowed* event through `InlineArray` (or its
/// `span`) made the compiler copy the whole event (392 bytes) first, at every
/// field read of every compiled expression (5 % of the engine's
/// instructions); a stored property of a borrowed struct is read in place.
public struct FieldSlots: Sendable {
    @usableFromInline var s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12: FieldValue

    public static var count: Int { 13 }

    @inlinable
    public init(repeating v: FieldValue) {
        s0 = v
        s1 = v
        s2 = v
        s3 = v
        s4 = v
        s5 = v
        s6 = v
        s7 = v
        s8 = v
        s9 = v
        s10 = v
        s11 = v
        s12 = v
    }

    @inlinable
    public subscript(_ i: Int) -> FieldValue {
        get {
            switch i {
            case 0: return s0
            case 1: return s1
            case 2: return s2
            case 3: return s3
            case 4: return s4
            case 5: return s5
            case 6: return s6
            case 7: return s7
            case 8: return s8
            case 9: return s9
            case 10: return s10
            case 11: return s11
            case 12: return s12
            default: preconditionFailure("field slot \(i) out of range")
            }
        }
        set {
            switch i {
            case 0: s0 = newValue
            case 1: s1 = newValue
            case 2: s2 = newValue
            case 3: s3 = newValue
            case 4: s4 = newValue
            case 5: s5 = newValue
            case 6: s6 = newValue
            case 7: s7 = newValue
            case 8: s8 = newValue
            case 9: s9 = newValue
            case 10: s10 = newValue
            case 11: s11 = newValue
            case 12: s12 = newValue
            default: preconditionFailure("field slot \(i) out of range")
            }
        }
    }
}
