package alert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes event text safe to show: it drops control characters, bidirectional
// overrides and other invisible format characters (which can make "gpj.exe" read as
// "exe.jpg"), invisible fillers that render as nothing or as blank (U+3164 HANGUL FILLER,
// U+115F, U+1160, U+2800 BRAILLE PATTERN BLANK, variation selectors, the tag block), folds
// runs of white space to one space, and caps the result at max runes, marking a cut with "…".
func Clean(s string, max int) string {
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, invisible(r), unicode.IsControl(r) && !unicode.IsSpace(r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) <= max {
		return out
	}
	return strings.TrimRight(truncateRunes(out, max-1), " ") + "…"
}

// ASCII is Clean for channels that only carry printable ASCII (SNS subjects, SMS in the
// GSM alphabet): every other rune becomes '?', and a cut is marked with "...".
func ASCII(s string, max int) string {
	if max <= 0 {
		return ""
	}
	c := Clean(s, max)
	var b strings.Builder
	b.Grow(len(c))
	for _, r := range c {
		switch {
		case r == '…':
			b.WriteString("...")
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	out := b.String()
	switch {
	case len(out) <= max:
	case max <= 3:
		out = out[:max]
	default:
		out = out[:max-3] + "..."
	}
	return out
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// invisible reports runes that show nothing, or only blank space without being white space:
// format characters (Cf: zero-width spaces and joiners U+200B..U+200F, U+2060..U+2064,
// U+FEFF, soft hyphen U+00AD, U+180E, bidi controls U+202A..U+202E and U+2066..U+2069, the
// tags U+E0001..U+E007F), Unicode's other default-ignorable code points (the Hangul fillers
// U+115F, U+1160, U+3164, U+FFA0, U+034F, U+17B4, U+17B5…), variation selectors, the rest of
// the tag block, noncharacters and U+2800 BRAILLE PATTERN BLANK.
func invisible(r rune) bool {
	switch {
	case r == 0x2800, r >= 0xE0000 && r <= 0xE0FFF, r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// Quote is event text an attacker may have typed (a user name, a user agent, a request
// field), for an SMS or a subject: printable ASCII as ASCII makes it, bare when it is a plain
// name ([A-Za-z0-9] and ._@+=,/-, as IAM and session names are), otherwise in double quotes
// (a quote inside becomes '), so text such as "From: 10.0.0.1" cannot pose as trailguard's
// own fields. max caps the text inside the quotes.
func Quote(s string, max int) string {
	return quote(ASCII(s, max))
}

// QuoteText is Quote for the email and the JSON: Unicode stays (cleaned, as Clean does).
func QuoteText(s string, max int) string {
	return quote(Clean(s, max))
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	for _, r := range s {
		if !bare(r) {
			return `"` + strings.ReplaceAll(s, `"`, "'") + `"`
		}
	}
	return s
}

func bare(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+=,/-", r)
}
