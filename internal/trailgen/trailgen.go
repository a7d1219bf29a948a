// Package trailgen generates realistic CloudTrail log files deterministically, for tests and
// benchmarks: the same seed gives the same bytes, so a benchmark can cache its file and a test
// can state the counts it planted. Records carry what real ones carry (nested userIdentity with
// sessionContext, request and response objects, tlsDetails, resources), about 1.5–2 KB each,
// with the value variety CloudTrail writes: IPv4 and IPv6 sources, service hostnames and
// "AWS Internal"; Root, IAMUser, AssumedRole, AWSService and IdentityCenterUser identities.
package trailgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Identity is a caller as CloudTrail writes it in userIdentity. Principal is what the counters
// must report for it (the ARN, else the principal ID, else the Identity Center user or the
// invoking service): stated here by construction, so tests do not derive it with the code they test.
type Identity struct {
	Type        string
	ARN         string
	PrincipalID string
	AccountID   string
	UserName    string
	InvokedBy   string // AWSService
	UserID      string // IdentityCenterUser onBehalfOf.userId
	Issuer      string // AssumedRole: the role ARN in sessionContext.sessionIssuer
	Principal   string
}

// Spec is what one record says about the dimensions the counters use; Append fills in the rest.
type Spec struct {
	Time         time.Time
	Account      string // recipientAccountId
	Identity     Identity
	SourceIP     string
	EventSource  string
	EventName    string
	EventType    string // AwsApiCall, AwsServiceEvent, AwsConsoleSignIn
	ErrorCode    string
	ResourceType string // type of the first resources entry; empty: no resources list
	SignInResult string // ConsoleLogin records: "Success" or "Failure"
}

// Generator makes records from a seeded random source. It is not safe for concurrent use.
type Generator struct {
	rng      *rand.Rand
	accounts []string
	ids      []Identity
	ips      []string
	start    time.Time
	// FreshSources is the share (0–1) of records Random gives a source address never used
	// before in the file, so each of them opens a counter of its own: a trail of high
	// cardinality (callers behind NAT pools, Lambda functions calling from ever new
	// addresses). 0, the default, keeps to the catalog's addresses.
	FreshSources float64
	fresh        int // fresh addresses handed out
}

// New returns a generator with a fixed catalog (accounts, identities, sources) of the given
// sizes, seeded by seed. Start is the first hour events fall in.
func New(seed uint64, start time.Time, accounts, identitiesPerAccount, sources int) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), start: start.UTC().Truncate(time.Hour)}
	for i := range accounts {
		g.accounts = append(g.accounts, fmt.Sprintf("%012d", 111122220000+uint64(i)*1111))
	}
	for _, acct := range g.accounts {
		for i := range identitiesPerAccount {
			g.ids = append(g.ids, MakeIdentity(acct, i))
		}
	}
	for i := range sources {
		g.ips = append(g.ips, MakeSource(i))
	}
	// Activity is skewed (a few automation roles make most calls): Random picks low indexes
	// more often, so shuffle which identities those are.
	g.rng.Shuffle(len(g.ids), func(i, j int) { g.ids[i], g.ids[j] = g.ids[j], g.ids[i] })
	return g
}

// Accounts returns the generator's account IDs.
func (g *Generator) Accounts() []string { return g.accounts }

// Identities returns the generator's identity catalog.
func (g *Generator) Identities() []Identity { return g.ids }

// MakeIdentity returns the i-th identity of the catalog for account acct: mostly assumed roles
// and IAM users, with some Root, AWSService and IdentityCenterUser callers.
func MakeIdentity(acct string, i int) Identity {
	switch i % 10 {
	case 0, 1, 2, 3, 4:
		role := roleNames[i%len(roleNames)]
		session := fmt.Sprintf("%s-%d", sessionNames[i%len(sessionNames)], i)
		arn := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", acct, role, session)
		roleID := "AROA" + idSuffix(acct, i)
		return Identity{Type: "AssumedRole", ARN: arn, PrincipalID: roleID + ":" + session, AccountID: acct,
			Issuer: fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, role), Principal: arn}
	case 5, 6:
		user := fmt.Sprintf("%s.%d", userNames[i%len(userNames)], i)
		arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", acct, user)
		return Identity{Type: "IAMUser", ARN: arn, PrincipalID: "AIDA" + idSuffix(acct, i), AccountID: acct, UserName: user, Principal: arn}
	case 7:
		arn := fmt.Sprintf("arn:aws:iam::%s:root", acct)
		return Identity{Type: "Root", ARN: arn, PrincipalID: acct, AccountID: acct, Principal: arn}
	case 8:
		svc := services[i%len(services)].host
		return Identity{Type: "AWSService", InvokedBy: svc, Principal: svc}
	default:
		uid := fmt.Sprintf("%08x-c0a1-70b5-2d9e-%012x", 0x94e8a4c8+i, 0x61f3b7a2c5d9+i)
		return Identity{Type: "IdentityCenterUser", AccountID: acct, UserID: uid, Principal: uid}
	}
}

// MakeSource returns the i-th source address: IPv4 and IPv6 documentation addresses, with
// some service hostnames and "AWS Internal".
func MakeSource(i int) string {
	switch i % 8 {
	case 6:
		return services[i%len(services)].host
	case 7:
		return "AWS Internal"
	case 4, 5:
		return fmt.Sprintf("2001:db8:%x:%x::%x", i/256, i%256, i+1)
	default:
		return fmt.Sprintf("%d.%d.%d.%d", []int{192, 198, 203}[i%3], []int{0, 51, 0}[i%3], []int{2, 100, 113}[i%3], 1+i%250)
	}
}

func idSuffix(acct string, i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := uint64(14695981039346656037)
	for _, c := range acct + strconv.Itoa(i) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	out := make([]byte, 17)
	for j := range out {
		out[j] = alphabet[h%32]
		h = h/32 ^ h*31
	}
	return string(out)
}

// Random returns a random realistic spec within hours hours of the generator's start. As in
// real trails, callers repeat themselves: activity is skewed towards a few identities, and
// each identity calls a few APIs from one to three source addresses.
func (g *Generator) Random(hours int) Spec {
	r := g.rng
	u := r.Float64()
	n := int(float64(len(g.ids)) * u * u * u)
	id := g.ids[n]
	acct := id.AccountID
	if acct == "" {
		acct = g.accounts[n%len(g.accounts)]
	}
	call := calls[(n*5+skewed(r, 5)*3)%len(calls)]
	s := Spec{
		Time:         g.start.Add(time.Duration(r.Int64N(int64(hours) * int64(time.Hour)))).Truncate(time.Second),
		Account:      acct,
		Identity:     id,
		SourceIP:     g.ips[(n*7+skewed(r, 3)*37)%len(g.ips)],
		EventSource:  call.service.source,
		EventName:    call.name,
		EventType:    "AwsApiCall",
		ResourceType: call.resourceType,
	}
	if id.Type == "AWSService" {
		s.SourceIP = id.InvokedBy
	}
	if g.FreshSources > 0 && r.Float64() < g.FreshSources {
		g.fresh++
		s.SourceIP = fmt.Sprintf("2001:db8:f:%x::%x", g.fresh>>16, g.fresh&0xffff)
	}
	switch n := r.IntN(100); {
	case n < 3:
		s.ErrorCode = "AccessDenied"
	case n < 4:
		s.ErrorCode = "Client.UnauthorizedOperation"
	case n < 6:
		s.ErrorCode = call.service.error
	}
	if r.IntN(200) == 0 {
		s.EventSource, s.EventName, s.EventType, s.ResourceType, s.ErrorCode = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn", "", ""
		s.SignInResult = "Success"
		if r.IntN(4) == 0 {
			s.SignInResult = "Failure"
		}
	}
	return s
}

// skewed returns 0 … n-1, each half as likely as the one before.
func skewed(r *rand.Rand, n int) int {
	k := 0
	for k < n-1 && r.IntN(2) == 0 {
		k++
	}
	return k
}
