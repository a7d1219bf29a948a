package counters

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/klauspost/compress/flate"
)

// Summary is one account-hour pre-aggregated for the god view: what its panels need, bounded
// whatever the hour's distinct counters, so that a dashboard reads one small item per account
// and hour instead of every counter (Table.HourSummaries). The merge writes it (Table.Flush).
//
// Totals, the per-region counts and the distinct principals and sources are kept for every
// hour the view reads (the totals part); the ranked lists only for the hours it shows (the
// detail part). Lists hold the SummaryTop largest entries: summed over hours they are exact
// for every entry that is in the top of each hour it appears in (always, when an hour has
// at most SummaryTop distinct values), a lower bound otherwise.
type Summary struct {
	Hour    string `json:"hour"`
	Account string `json:"account"`
	// Plan is the merge plan (its sequence number) whose counts the summary includes, with
	// every plan before it; a summary is only replaced by one of an equal or later plan.
	Plan   int   `json:"plan,omitempty"`
	Count  int64 `json:"count"`
	Errors int64 `json:"errors"`
	Denied int64 `json:"denied"`
	// Principals and Sources are the hour's distinct principals and source addresses, hashed
	// (HashSet): unions over hours count them across a range.
	Principals HashSet        `json:"principals"`
	Sources    HashSet        `json:"sources"`
	Regions    []RegionCount  `json:"regions,omitempty"`
	Detail     *SummaryDetail `json:"detail,omitempty"` // nil when read without detail

	// Cloud is the account's cloud (Key.Cloud: "huawei", "alibaba", "tencent"; empty: AWS),
	// so the god view labels and counts accounts per cloud. An account ID names an account of
	// one cloud; should an hour hold several clouds' counters under one ID, the greatest name.
	Cloud string `json:"cloud,omitempty"`
}

// SummaryDetail is a summary's ranked lists.
type SummaryDetail struct {
	Principals []PrincipalSum `json:"principals,omitempty"`
	Sources    []SourceSum    `json:"sources,omitempty"`
	Events     []NameCount    `json:"events,omitempty"`   // event names
	Services   []NameCount    `json:"services,omitempty"` // ServiceOf the event source
	ErrorCodes []NameCount    `json:"error_codes,omitempty"`
	DeniedBy   []NameCount    `json:"denied_by,omitempty"` // access denied calls by principal
}

// RegionCount is one region's calls in an account-hour.
type RegionCount struct {
	Region string `json:"region"`
	Count  int64  `json:"count"`
	Errors int64  `json:"errors,omitempty"`
	Denied int64  `json:"denied,omitempty"`
}

// NameCount is one entry of a ranked list.
type NameCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// PrincipalSum is one of an hour's busiest principals, with its distinct sources.
type PrincipalSum struct {
	Principal string  `json:"principal"`
	Count     int64   `json:"count"`
	Errors    int64   `json:"errors,omitempty"`
	Sources   HashSet `json:"sources,omitempty"`
}

// SourceSum is one of an hour's busiest source addresses, with its distinct principals.
type SourceSum struct {
	Source     string  `json:"source"`
	Count      int64   `json:"count"`
	Errors     int64   `json:"errors,omitempty"`
	Principals HashSet `json:"principals,omitempty"`
}

// Bounds of a summary.
const (
	// SummaryTop is the length of each ranked list of an hour.
	SummaryTop = 50
	// MaxHashes bounds a summary's sets of distinct values (4 bytes each).
	MaxHashes = 1024
	// maxEntryHashes bounds the sources kept per principal and principals per source.
	maxEntryHashes = 64
)

// IsAccessDenied says whether an error code is a refusal for lack of permission, as CIS AWS
// Foundations 4.1 counts them (and the unauthorized-api-call rule): "AccessDenied*" or
// "*UnauthorizedOperation".
func IsAccessDenied(code string) bool {
	return strings.HasPrefix(code, "AccessDenied") || strings.HasSuffix(code, "UnauthorizedOperation")
}

// ServiceOf names a call's service: its event source without the domain ("s3.amazonaws.com"
// is "s3"); for a counter without one (counted before event sources were), the service of its
// resource type ("AWS::S3::Bucket" is "S3"); "(none)" without either.
func ServiceOf(eventSource, resourceType string) string {
	if eventSource != "" {
		if i := strings.IndexByte(eventSource, '.'); i > 0 {
			return eventSource[:i]
		}
		return eventSource
	}
	if resourceType == "" {
		return "(none)"
	}
	parts := strings.Split(resourceType, "::")
	if len(parts) >= 2 && parts[1] != "" {
		return parts[1]
	}
	return resourceType
}

// HashSet is a set of distinct values as sorted 32-bit hashes (Hash), at most MaxHashes: a
// bigger set keeps its smallest hashes and its true size (a "k minimum values" sketch), from
// which a union's size is estimated (Distinct). JSON: base64 of the hashes, little-endian,
// then the size when saturated.
type HashSet struct {
	H []uint32
	N int // distinct values when more than len(H) (saturated); 0 otherwise
}

// Hash is a value's hash in a HashSet: FNV-1a, stable across processes, with the SplitMix64
// finalizer so that similar values spread evenly (the distinct-count estimate needs uniform
// hashes), folded to 32 bits.
func Hash(v string) uint32 {
	h := fnv.New64a()
	h.Write([]byte(v))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return uint32(x ^ x>>32)
}

// Size is the set's number of distinct values (exact).
func (s HashSet) Size() int { return max(s.N, len(s.H)) }

// Has says whether the set holds v's hash; a saturated set may lack a value it had.
func (s HashSet) Has(h uint32) bool {
	_, ok := slices.BinarySearch(s.H, h)
	return ok
}

// newHashSet makes a set of the hashes in m, keeping at most limit.
func newHashSet(m map[uint32]struct{}, limit int) HashSet {
	h := make([]uint32, 0, len(m))
	for v := range m {
		h = append(h, v)
	}
	slices.Sort(h)
	if len(h) > limit {
		return HashSet{H: h[:limit:limit], N: len(h)}
	}
	return HashSet{H: h}
}

// Distinct is the number of distinct values in the union of sets: exact when none is
// saturated, else the k-minimum-values estimate (k−1)/(the k-th smallest hash / 2³²), which
// is within about 3% at k = MaxHashes.
func Distinct(sets iter.Seq[HashSet]) int {
	union := map[uint32]struct{}{}
	saturated := false
	for s := range sets {
		saturated = saturated || s.N > len(s.H)
		for _, h := range s.H {
			union[h] = struct{}{}
		}
	}
	if !saturated {
		return len(union)
	}
	u := newHashSet(union, MaxHashes)
	if len(u.H) < MaxHashes {
		return len(u.H)
	}
	kth := float64(u.H[MaxHashes-1]) + 1
	return int((MaxHashes - 1) / (kth / (1 << 32)))
}

// MarshalJSON writes the hashes as base64, with N when saturated.
func (s HashSet) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(s.H))
	for i, h := range s.H {
		binary.LittleEndian.PutUint32(b[4*i:], h)
	}
	enc := base64.RawStdEncoding.EncodeToString(b)
	if s.N > len(s.H) {
		return json.Marshal([]any{enc, s.N})
	}
	return json.Marshal(enc)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *HashSet) UnmarshalJSON(b []byte) error {
	var enc string
	var n int
	if len(b) > 0 && b[0] == '[' {
		var pair []json.RawMessage
		if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
			return fmt.Errorf("hash set: want [hashes, size]")
		}
		if err := json.Unmarshal(pair[0], &enc); err != nil {
			return err
		}
		if err := json.Unmarshal(pair[1], &n); err != nil {
			return err
		}
	} else if err := json.Unmarshal(b, &enc); err != nil {
		return err
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw)%4 != 0 {
		return fmt.Errorf("hash set: bad hashes")
	}
	s.H = make([]uint32, len(raw)/4)
	for i := range s.H {
		s.H[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	s.N = n
	return nil
}

// summarizer adds up one account-hour's counters into its Summary.
type summarizer struct {
	s                                 Summary
	principals                        map[string]*principalAcc
	sources                           map[string]*sourceAcc
	events, services, codes, deniedBy map[string]int64
	regions                           map[string]*RegionCount
	principalHashes, sourceHashes     map[uint32]struct{}
	totalsOnly                        bool // no ranked lists (Detail nil)
}

type principalAcc struct {
	count, errors int64
	sources       map[uint32]struct{}
}

type sourceAcc struct {
	count, errors int64
	principals    map[uint32]struct{}
}

// newSummarizer starts an account-hour's summary; detail: with its ranked lists.
func newSummarizer(account, hour string, detail bool) *summarizer {
	z := &summarizer{
		s:               Summary{Account: account, Hour: hour},
		regions:         map[string]*RegionCount{},
		principalHashes: map[uint32]struct{}{}, sourceHashes: map[uint32]struct{}{},
		totalsOnly: !detail,
	}
	if detail {
		z.principals, z.sources = map[string]*principalAcc{}, map[string]*sourceAcc{}
		z.events, z.services, z.codes, z.deniedBy = map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	}
	return z
}

func (z *summarizer) add(k *Key, n int64) {
	failed, denied := k.ErrorCode != "", IsAccessDenied(k.ErrorCode)
	s := &z.s
	s.Count += n
	if k.Cloud > s.Cloud {
		s.Cloud = k.Cloud
	}
	r := z.regions[k.Region]
	if r == nil {
		r = &RegionCount{Region: k.Region}
		z.regions[k.Region] = r
	}
	r.Count += n
	if failed {
		s.Errors += n
		r.Errors += n
	}
	if denied {
		s.Denied += n
		r.Denied += n
	}
	ph := Hash(k.Principal)
	z.principalHashes[ph] = struct{}{}
	if z.totalsOnly {
		if k.SourceIP != "" {
			z.sourceHashes[Hash(k.SourceIP)] = struct{}{}
		}
		return
	}
	if failed {
		z.codes[k.ErrorCode] += n
	}
	if denied {
		z.deniedBy[k.Principal] += n
	}
	z.events[k.EventName] += n
	z.services[ServiceOf(k.EventSource, k.ResourceType)] += n
	p := z.principals[k.Principal]
	if p == nil {
		p = &principalAcc{sources: map[uint32]struct{}{}}
		z.principals[k.Principal] = p
	}
	p.count += n
	if failed {
		p.errors += n
	}
	if k.SourceIP == "" {
		return
	}
	sh := Hash(k.SourceIP)
	z.sourceHashes[sh] = struct{}{}
	p.sources[sh] = struct{}{}
	src := z.sources[k.SourceIP]
	if src == nil {
		src = &sourceAcc{principals: map[uint32]struct{}{}}
		z.sources[k.SourceIP] = src
	}
	src.count += n
	if failed {
		src.errors += n
	}
	src.principals[ph] = struct{}{}
}

// summary is the account-hour's Summary, its lists cut to SummaryTop.
func (z *summarizer) summary() Summary {
	s := z.s
	s.Principals = newHashSet(z.principalHashes, MaxHashes)
	s.Sources = newHashSet(z.sourceHashes, MaxHashes)
	for _, r := range z.regions {
		s.Regions = append(s.Regions, *r)
	}
	slices.SortFunc(s.Regions, func(a, b RegionCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Region, b.Region))
	})
	d := &SummaryDetail{
		Events: TopN(z.events, SummaryTop), Services: TopN(z.services, SummaryTop),
		ErrorCodes: TopN(z.codes, SummaryTop), DeniedBy: TopN(z.deniedBy, SummaryTop),
	}
	for name, p := range z.principals {
		d.Principals = append(d.Principals, PrincipalSum{Principal: name, Count: p.count, Errors: p.errors, Sources: newHashSet(p.sources, maxEntryHashes)})
	}
	slices.SortFunc(d.Principals, func(a, b PrincipalSum) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Principal, b.Principal))
	})
	d.Principals = d.Principals[:min(SummaryTop, len(d.Principals))]
	for name, src := range z.sources {
		d.Sources = append(d.Sources, SourceSum{Source: name, Count: src.count, Errors: src.errors, Principals: newHashSet(src.principals, maxEntryHashes)})
	}
	slices.SortFunc(d.Sources, func(a, b SourceSum) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Source, b.Source))
	})
	d.Sources = d.Sources[:min(SummaryTop, len(d.Sources))]
	s.Detail = d
	return s
}

// TopN is the n largest of counts, largest first, ties by name.
func TopN(counts map[string]int64, n int) []NameCount {
	out := make([]NameCount, 0, len(counts))
	for k, v := range counts {
		out = append(out, NameCount{k, v})
	}
	slices.SortFunc(out, func(a, b NameCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name)) })
	return out[:min(n, len(out))]
}

// Summarize is the summary of every account-hour of rows, ordered by hour then account: what
// the merge writes for them, for sources that hold counters rather than summaries (local runs).
// Without detail, only the totals (Detail nil), as Table.HourSummaries reads them.
func Summarize(rows []Row, detail bool) []Summary {
	by := map[group]*summarizer{}
	for i := range rows {
		r := &rows[i]
		g := group{r.Account, r.Hour}
		z := by[g]
		if z == nil {
			z = newSummarizer(r.Account, r.Hour, detail)
			by[g] = z
		}
		z.add(&r.Key, r.Count)
	}
	out := make([]Summary, 0, len(by))
	for _, z := range by {
		out = append(out, z.summary())
	}
	slices.SortFunc(out, func(a, b Summary) int { return cmp.Or(cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Account, b.Account)) })
	return out
}

// kindSummary is the partition of an hour's summaries: one totals item (sk t#<account>) and
// one detail item (sk d#<account>) per account, so a dashboard reads an hour of every account
// with one Query, and the hours it only compares against without the ranked lists.
const kindSummary = "H"

func summaryPK(hour string) string { return joinKey(maxPK, kindSummary, hour) }

// putSummary writes an account-hour's summary as the merge of plan seq leaves it: both items
// conditional on holding no later plan's summary, so a merge that finishes late never
// overwrites what a later plan (a late file's) wrote. Writing the same plan's summary again
// (a merge retried, or finished by another) rewrites the same content.
func (t *Table) putSummary(ctx context.Context, s Summary, seq int) error {
	s.Plan = seq
	detail := s.Detail
	s.Detail = nil
	totals, err := deflateJSON(s)
	if err != nil {
		return err
	}
	lists, err := deflateJSON(detail)
	if err != nil {
		return err
	}
	exp, err := t.expires(s.Hour)
	if err != nil {
		return err
	}
	pk := summaryPK(s.Hour)
	for _, it := range []struct {
		sk    string
		blob  []byte
		extra map[string]types.AttributeValue
	}{
		{joinKey(maxSK, "t", s.Account), totals, map[string]types.AttributeValue{
			attrCount: num(s.Count), "errors": num(s.Errors), "denied": num(s.Denied),
		}},
		{joinKey(maxSK, "d", s.Account), lists, nil},
	} {
		item := map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: pk}, attrSK: &types.AttributeValueMemberS{Value: it.sk},
			"hour": &types.AttributeValueMemberS{Value: s.Hour}, "account": &types.AttributeValueMemberS{Value: s.Account},
			"plan": num(int64(seq)), "s": &types.AttributeValueMemberB{Value: it.blob}, attrExpires: exp,
		}
		maps.Copy(item, it.extra)
		_, err := t.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 aws.String(t.Name),
			Item:                      item,
			ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #plan <= :seq"),
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#plan": "plan"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":seq": num(int64(seq))},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return nil // a later plan's summary is there: it includes this one's counts
		}
		if err != nil {
			return fmt.Errorf("counters table %s: summary %s / %s: %w", t.Name, pk, it.sk, err)
		}
	}
	return nil
}

// HourSummaries returns the summaries of every account in hour, ordered by account: one
// Query (of the totals items only without detail). A summary shows an hour once merged.
func (t *Table) HourSummaries(ctx context.Context, hour string, detail bool) ([]Summary, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: summaryPK(hour)},
			":now": num(t.now().Unix()),
		},
		FilterExpression:         aws.String("attribute_not_exists(#x) OR #x > :now"),
		ExpressionAttributeNames: map[string]string{"#x": attrExpires},
	}
	if !detail {
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :t)")
		in.ExpressionAttributeValues[":t"] = &types.AttributeValueMemberS{Value: "t#"}
	}
	var out []Summary
	details := map[string]*SummaryDetail{}
	p := dynamodb.NewQueryPaginator(t.Client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query counters table %s: summaries of %s: %w", t.Name, hour, err)
		}
		for _, item := range page.Items {
			blob, _ := item["s"].(*types.AttributeValueMemberB)
			if blob == nil {
				return nil, fmt.Errorf("counters table %s: summary %s / %s has no content", t.Name, str(item, attrPK), str(item, attrSK))
			}
			sk := str(item, attrSK)
			if strings.HasPrefix(sk, "d#") {
				var d SummaryDetail
				if err := inflateJSON(blob.Value, &d); err != nil {
					return nil, fmt.Errorf("counters table %s: summary %s / %s: %w", t.Name, str(item, attrPK), sk, err)
				}
				details[str(item, "account")] = &d
				continue
			}
			var s Summary
			if err := inflateJSON(blob.Value, &s); err != nil {
				return nil, fmt.Errorf("counters table %s: summary %s / %s: %w", t.Name, str(item, attrPK), sk, err)
			}
			out = append(out, s)
		}
	}
	for i := range out {
		if d := details[out[i].Account]; d != nil {
			out[i].Detail = d
		} else if detail {
			out[i].Detail = &SummaryDetail{}
		}
	}
	slices.SortFunc(out, func(a, b Summary) int { return cmp.Compare(a.Account, b.Account) })
	return out, nil
}

func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func deflateJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

func inflateJSON(blob []byte, v any) error {
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(blob)), 16<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
