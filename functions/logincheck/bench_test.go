package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/internal/localtest"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/ipallow"
)

type discard struct{}

func (discard) Publish(context.Context, []alert.Alert) error { return nil }

// BenchmarkDecodeAndCheck: one sign-in event decoded from bytes and checked (alerts built)
// with allowlists of 10, 1,000 and 100,000 prefixes; the cost must not grow with the list.
func BenchmarkDecodeAndCheck(b *testing.B) {
	raw := localtest.Event(b, "logincheck", "untrusted-ipv4.json")
	for _, n := range []int{10, 1_000, 100_000} {
		b.Run(fmt.Sprintf("prefixes=%d", n), func(b *testing.B) {
			h := benchHandler(b, n)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s, err := decodeSignIn(raw)
				if err != nil {
					b.Fatal(err)
				}
				if alerts := h.Check(s.rec, s.si, s.unreadable...); len(alerts) != 1 {
					b.Fatal(alerts)
				}
			}
		})
	}
}

// BenchmarkHandle is the whole invocation: decode, check, the JSON decision log lines (to a
// discarding writer) and the hand-off to the publisher.
func BenchmarkHandle(b *testing.B) {
	raw := localtest.Event(b, "logincheck", "untrusted-ipv4.json")
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("prefixes=%d", n), func(b *testing.B) {
			h := benchHandler(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := h.Handle(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchHandler(b *testing.B, prefixes int) *Handler {
	allow, err := ipallow.Parse(randomPrefixes(prefixes), "")
	if err != nil {
		b.Fatal(err)
	}
	h := newHandler(b, discard{})
	h.Allow = allow
	return h
}

// randomPrefixes makes n distinct-ish IPv4 and IPv6 prefixes outside the documentation ranges
// the sample events use, so every lookup walks the trie and misses.
func randomPrefixes(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	parts := make([]string, 0, n)
	for range n {
		if r.IntN(4) == 0 {
			var a [16]byte
			a[0], a[1] = 0x2a, byte(r.IntN(256))
			for i := 2; i < 8; i++ {
				a[i] = byte(r.IntN(256))
			}
			parts = append(parts, netip.PrefixFrom(netip.AddrFrom16(a), 48).Masked().String())
			continue
		}
		a := [4]byte{byte(1 + r.IntN(190)), byte(r.IntN(256)), byte(r.IntN(256)), 0}
		parts = append(parts, netip.PrefixFrom(netip.AddrFrom4(a), 24).String())
	}
	return strings.Join(parts, ",")
}

// BenchmarkColdStart: process start to first event handled, for the local binary (the same
// init path as under Lambda: config, allowlist, clients), plus the Lambda bootstrap's size.
func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "logincheck")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	cross := exec.Command("go", "build", "-tags", bootstrapTags, "-trimpath", "-ldflags", "-s -w", "-o", bootstrap, ".")
	cross.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if out, err := cross.CombinedOutput(); err != nil {
		b.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	st, err := os.Stat(bootstrap)
	if err != nil {
		b.Fatal(err)
	}
	event := filepath.Join("..", "..", "events", "logincheck", "untrusted-ipv4.json")
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(bin, "-json", event)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("run: %v\n%s", err, out)
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "bootstrap-MiB")
}
