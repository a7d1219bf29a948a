package alert

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"alice", 10, "alice"},
		{"  a \t\n b  ", 10, "a b"},
		{"admin\u202Eexe.gpj", 20, "adminexe.gpj"},
		{"a\u200b\u2066b\u2069", 10, "ab"},
		{"bell\x07 esc\x1b[31m", 20, "bell esc[31m"},
		{"abcdefghij", 5, "abcd…"},
		{"héllo wörld", 20, "héllo wörld"},
		{"bad\xffutf8", 20, "badutf8"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in, tt.max); got != tt.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestASCII(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"alice", 10, "alice"},
		{"héllo", 10, "h?llo"},
		{"abcdefghijkl", 8, "abcde..."},
		{"日本語日本語日本語", 8, "?????..."},
	}
	for _, tt := range tests {
		if got := ASCII(tt.in, tt.max); got != tt.want {
			t.Errorf("ASCII(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
