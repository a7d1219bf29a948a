package counters
import ("io";"testing";"github.com/trailguard/trailguard/internal/trailgen")
var microRecs [][]byte
func microData() [][]byte { if microRecs == nil { raw, _ := io.ReadAll(trailgen.Bench(1, 20000)); i := len(`{"Records":[`); var p Parser; for raw[i] != ']' { e, err := p.Parse(raw, i); if err != nil { panic(err) }; microRecs = append(microRecs, raw[i:e]); i = e; if raw[i]==',' {i++} } }; return microRecs }
func BenchmarkZZMicroParse(b *testing.B) { recs := microData(); var p Parser; n := 0; for _, r := range recs { n += len(r) }; b.SetBytes(int64(n)); b.ResetTimer()
 for b.Loop() { for _, r := range recs { if _, err := p.Parse(r, 0); err != nil { b.Fatal(err) } } } }
func BenchmarkZZMicroTally(b *testing.B) { recs := microData(); var p Parser; var keys []Key; for _, r := range recs { p.Parse(r, 0); k := p.Record().Key; keys = append(keys, Key{string([]byte(k.Hour)), string([]byte(k.Account)), string([]byte(k.Principal)), string([]byte(k.SourceIP)), string([]byte(k.EventName)), string([]byte(k.ResourceType)), string([]byte(k.ErrorCode)), string([]byte(k.EventType))}) }; b.ResetTimer()
 for b.Loop() { t := NewTally(); for i := range keys { t.Add(&keys[i]) } } ; b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/rec") }
