package alert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes event text safe to show: it drops control characters, bidirectional
// overrides and other invisible format characters (which can make "gpj.exe" read as
// "exe.jpg"), folds runs of white space to one space, and caps the result at max runes,
// marking a cut with "…".
func Clean(s string, max int) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Cf, r), unicode.IsControl(r) && !unicode.IsSpace(r):
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
	if len(out) > max {
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
