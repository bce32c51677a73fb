/// A command's discussion as ArgumentParser should get it: each paragraph
/// of prose on one line. ArgumentParser wraps every line to the terminal's
/// width on its own, so prose hard-wrapped in the source came out ragged
/// ("…lines that break it go to" / "the dead_letters table…").
///
/// - An empty line separates paragraphs.
/// - A line that starts with whitespace (examples, aligned columns) stays
///   as written: keep those within 80 columns.
/// - A line that starts a list item (`1. `, `- `) starts a new line.
/// - Any other line continues the line before it, if that was prose.
func prose(_ text: String) -> String {
    var out: [String] = []
    var lastIsProse = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.isEmpty || line.first == " " {
            out.append(String(line))
            lastIsProse = false
        } else if lastIsProse && !startsListItem(line) {
            out[out.count - 1] += " " + line
        } else {
            out.append(String(line))
            lastIsProse = true
        }
    }
    return out.joined(separator: "\n")
}

private func startsListItem(_ line: Substring) -> Bool {
    if line.hasPrefix("- ") || line.hasPrefix("• ") { return true }
    let digits = line.prefix { $0.isASCII && $0.isNumber }
    return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(". ")
}
