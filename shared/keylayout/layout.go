package keylayout

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Layout maps object keys to partition values. It is immutable and safe for concurrent use.
type Layout struct {
	spec     string
	prefix   string    // keys must start with it ("" or ending in '/')
	floating bool      // the first segment may start at any depth (CloudTrail without a prefix)
	segs     []segment // what follows the prefix
	columns  []string
	last     int // index of the last capture segment: the partition directory ends there
}

// Partition is where one key belongs.
type Partition struct {
	Values []string // in the order of Layout.Columns
	Dir    string   // the key prefix of the partition's directory, ending in '/'
}

type segKind int

const (
	literal  segKind = iota
	capture          // placeholders, optionally after "name="
	optional         // CloudTrail's o-ORGID segment: present in organization trails only
	anyOne           // '*'
	rest             // '…': one or more segments, last only
)

type segment struct {
	kind   segKind
	text   string         // literal: the text; capture: the "name=" before the placeholders
	parts  []*placeholder // capture: the placeholders filling the segment; optional: one
	column int            // capture: index into Layout.columns
}

// CloudTrail is the layout of CloudTrail log files, for account and organization trails,
// under any prefix: [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/<file>.
// Its columns are account, region, year, month, day.
func CloudTrail() *Layout {
	p := placeholders
	return &Layout{
		spec:     "[prefix/]AWSLogs/[o-ORGID/]{account}/CloudTrail/{region}/{yyyy}/{MM}/{dd}/*",
		floating: true,
		segs: []segment{
			{kind: literal, text: "AWSLogs"},
			{kind: optional, parts: []*placeholder{cloudTrailOrg}},
			{kind: capture, parts: []*placeholder{cloudTrailAccount}, column: 0},
			{kind: literal, text: "CloudTrail"},
			{kind: capture, parts: []*placeholder{cloudTrailRegion}, column: 1},
			{kind: capture, parts: []*placeholder{p["yyyy"]}, column: 2},
			{kind: capture, parts: []*placeholder{p["MM"]}, column: 3},
			{kind: capture, parts: []*placeholder{p["dd"]}, column: 4},
			{kind: anyOne},
		},
		columns: []string{"account", "region", "year", "month", "day"},
		last:    7,
	}
}

var (
	placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)
	columnRE      = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// Parse reads a KEY_LAYOUT (see the package documentation). The error says what is wrong
// with which segment.
func Parse(spec string) (*Layout, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty layout")
	}
	l := &Layout{spec: spec, last: -1}
	used := map[string]bool{}
	texts := strings.Split(spec, "/")
	for i, text := range texts {
		seg, err := parseSegment(text, used)
		if err != nil {
			return nil, fmt.Errorf("segment %d %q: %w", i+1, text, err)
		}
		switch seg.kind {
		case rest:
			if i != len(texts)-1 {
				return nil, fmt.Errorf("segment %d %q: '…' matches the rest of the key, so it must be last", i+1, text)
			}
		case capture:
			name := columnName(seg)
			if !columnRE.MatchString(name) {
				return nil, fmt.Errorf("segment %d %q: column name %q: want lower-case letters, digits and '_'", i+1, text, name)
			}
			if slices.Contains(l.columns, name) {
				return nil, fmt.Errorf("segment %d %q: column %q appears twice", i+1, text, name)
			}
			seg.column = len(l.columns)
			l.columns = append(l.columns, name)
			for _, s := range l.segs {
				if s.kind == anyOne {
					return nil, fmt.Errorf("segment %d %q: a placeholder after '*': files of different directories would share one partition", i+1, text)
				}
			}
			l.last = len(l.segs)
		}
		l.segs = append(l.segs, seg)
	}
	if l.last < 0 {
		return nil, fmt.Errorf("no placeholder: the layout gives no partition column")
	}
	if k := l.segs[len(l.segs)-1].kind; k != anyOne && k != rest {
		return nil, fmt.Errorf("the last segment must be '*' or '…' (the file name), not %q", texts[len(texts)-1])
	}
	return l, nil
}

func parseSegment(text string, used map[string]bool) (segment, error) {
	switch text {
	case "":
		return segment{}, fmt.Errorf("empty segment")
	case "*":
		return segment{kind: anyOne}, nil
	case "…", "...":
		return segment{kind: rest}, nil
	}
	if !strings.ContainsAny(text, "{}") {
		if strings.ContainsAny(text, "*…") {
			return segment{}, fmt.Errorf("'*' and '…' stand alone in their segment")
		}
		return segment{kind: literal, text: text}, nil
	}
	first := strings.IndexByte(text, '{')
	seg := segment{kind: capture, text: text[:max(first, 0)]}
	if seg.text != "" && !strings.HasSuffix(seg.text, "=") {
		return segment{}, fmt.Errorf("placeholders must fill the segment, optionally after a Hive-style name=")
	}
	body := text[len(seg.text):]
	matches := placeholderRE.FindAllStringSubmatchIndex(body, -1)
	end := 0
	for _, m := range matches {
		if m[0] != end {
			return segment{}, fmt.Errorf("text between placeholders: %q", body[end:m[0]])
		}
		end = m[1]
		name := body[m[2]:m[3]]
		p, ok := placeholders[name]
		if !ok {
			return segment{}, fmt.Errorf("unknown placeholder {%s}: want {account}, {region}, {org}, {yyyy}, {MM}, {dd} or {HH}", name)
		}
		if used[name] {
			return segment{}, fmt.Errorf("placeholder {%s} used twice", name)
		}
		used[name] = true
		seg.parts = append(seg.parts, p)
	}
	if end != len(body) || len(seg.parts) == 0 {
		return segment{}, fmt.Errorf("unbalanced braces or text after the placeholders")
	}
	if len(seg.parts) > 1 {
		for _, p := range seg.parts {
			if p.width == 0 {
				return segment{}, fmt.Errorf("{%s} has no fixed width, so it must be alone in its segment", p.name)
			}
		}
	}
	return seg, nil
}

// columnName is the name=, else the lone placeholder's column, else dt for a run of dates.
func columnName(seg segment) string {
	switch {
	case seg.text != "":
		return strings.TrimSuffix(seg.text, "=")
	case len(seg.parts) == 1:
		return seg.parts[0].column
	default:
		return "dt"
	}
}

// WithPrefix returns the layout for keys under prefix (a trail's S3 key prefix): keys
// outside it match nothing, and the layout starts right after it.
func (l *Layout) WithPrefix(prefix string) *Layout {
	c := *l
	c.prefix = prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		c.prefix += "/"
	}
	c.floating = l.floating && prefix == ""
	return &c
}

// Columns are the partition columns, in order: the table's partition keys must be these.
func (l *Layout) Columns() []string { return slices.Clone(l.columns) }

// String is the layout as written, with its prefix.
func (l *Layout) String() string {
	if l.prefix == "" {
		return l.spec
	}
	return l.prefix + l.spec
}

// Match returns the partition of key, or false when key does not follow the layout.
func (l *Layout) Match(key string) (Partition, bool) {
	if !strings.HasPrefix(key, l.prefix) {
		return Partition{}, false
	}
	vals := make([]string, len(l.columns))
	for start := len(l.prefix); ; {
		if dirEnd, ok := l.matchAt(key, start, 0, vals, 0); ok {
			return Partition{Values: vals, Dir: key[:dirEnd]}, true
		}
		if !l.floating {
			return Partition{}, false
		}
		i := strings.IndexByte(key[start:], '/')
		if i < 0 {
			return Partition{}, false
		}
		start += i + 1
	}
}

// matchAt matches segments[si:] against key[pos:]; pos == len(key)+1 means all of key is
// consumed. It returns where the partition directory ends.
func (l *Layout) matchAt(key string, pos, si int, vals []string, dirEnd int) (int, bool) {
	if si == len(l.segs) {
		return dirEnd, pos == len(key)+1
	}
	if pos > len(key) {
		return 0, false
	}
	seg := &l.segs[si]
	if seg.kind == rest {
		return dirEnd, pos < len(key)
	}
	next := strings.IndexByte(key[pos:], '/')
	if next < 0 {
		next = len(key)
	} else {
		next += pos
	}
	text := key[pos:next]
	switch seg.kind {
	case literal:
		if text != seg.text {
			return 0, false
		}
	case anyOne:
		if text == "" {
			return 0, false
		}
	case optional:
		if seg.parts[0].valid(text) {
			if end, ok := l.matchAt(key, next+1, si+1, vals, dirEnd); ok {
				return end, true
			}
		}
		return l.matchAt(key, pos, si+1, vals, dirEnd)
	case capture:
		v, _, ok := seg.capture(text)
		if !ok {
			return 0, false
		}
		vals[seg.column] = v
		if si == l.last {
			dirEnd = next + 1
		}
	}
	return l.matchAt(key, next+1, si+1, vals, dirEnd)
}

// dates are the date placeholders' values seen so far on a path.
type dates [hour + 1]string

// capture checks one segment's text and returns its column value and the dates it gives.
func (seg *segment) capture(text string) (string, dates, bool) {
	var d dates
	if !strings.HasPrefix(text, seg.text) {
		return "", d, false
	}
	v := text[len(seg.text):]
	if len(seg.parts) == 1 && seg.parts[0].width == 0 {
		return v, d, seg.parts[0].valid(v)
	}
	at := 0
	for _, p := range seg.parts {
		if at+p.width > len(v) || !p.valid(v[at:at+p.width]) {
			return "", d, false
		}
		d[p.date] = v[at : at+p.width]
		at += p.width
	}
	return v, d, at == len(v)
}
