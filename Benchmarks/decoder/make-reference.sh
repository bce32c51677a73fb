#!/bin/sh
# Regenerates Sources/decfuzz/Ref*.swift: the decoder as it was before the
# performance work (commit 336bd49), renamed (RefDecoder, RefScanner, ...) so
# that decfuzz can compare every outcome of the two.
set -e
cd "$(dirname "$0")"
REF=${REF:-336bd49}
for f in EventDecoder JSONScanner Money Timestamp Fingerprint; do
  { echo "import EventModel"
    git show "$REF:Sources/EventModel/$f.swift" | sed -E \
      -e 's/\bJSONScanner\b/RefScanner/g' -e 's/\bMemberTable\b/RefMemberTable/g' -e 's/\bMember\b/RefMember/g' \
      -e 's/\bKeyIndex\b/RefKeyIndex/g' -e 's/\bValueKind\b/RefValueKind/g' -e 's/\bFieldPlan\b/RefFieldPlan/g' \
      -e 's/\bEventDecoder\b/RefDecoder/g' -e 's/\bMoney\b/RefMoney/g' -e 's/\bMoneyParseError\b/RefMoneyParseError/g' \
      -e 's/\bDecimalNumber\b/RefDecimalNumber/g' -e 's/\bTimestamp\b/RefTimestamp/g' -e 's/\bFingerprint\b/RefFingerprint/g' \
      -e 's/^public //' -e 's/    public /    /g' -e 's/@inlinable//g' \
      -e 's/var idKey = RefFingerprint\.zero/var idKey = Fingerprint.zero/' \
      -e 's/RefFingerprint\(bytes: id\)/RefFingerprint(bytes: id).fp/' \
      -e 's/\.string\(withString\(v, base\) \{ RefFingerprint\(bytes: \$0\) \}\)/.string(withString(v, base) { RefFingerprint(bytes: $0).fp })/' \
      -e 's/^struct RefFingerprint: Hashable, Sendable, Comparable, Codable \{/struct RefFingerprint: Hashable, Sendable, Comparable {\n    var fp: Fingerprint { Fingerprint(hi: hi, lo: lo) }/'
  } > "Sources/decfuzz/Ref$f.swift"
done
echo "reference decoder from $REF written to Sources/decfuzz/Ref*.swift"
