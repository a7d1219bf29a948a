package rules

import (
	"net/netip"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The helpers answer the questions rules ask most, in ways that do not error on CloudTrail's
// value variety: sourceIPAddress may be an IPv6 address, a service name or "AWS Internal";
// ARNs may be empty; many fields are optional.
func helperFunctions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("ipInCidrs",
			cel.Overload("ipInCidrs_string_list_string", []*cel.Type{cel.StringType, cel.ListType(cel.StringType)}, cel.BoolType,
				cel.BinaryBinding(ipInCidrs))),
		cel.Function("arn",
			cel.Overload("arn_string", []*cel.Type{cel.StringType}, cel.MapType(cel.StringType, cel.StringType),
				cel.UnaryBinding(arnParts))),
		cel.Function("missing",
			cel.Overload("missing_dyn", []*cel.Type{cel.DynType}, cel.BoolType,
				cel.UnaryBinding(missing), cel.OverloadIsNonStrict())),
		cel.Function("getOr",
			cel.Overload("getOr_A_A", []*cel.Type{cel.TypeParamType("A"), cel.TypeParamType("A")}, cel.TypeParamType("A"),
				cel.BinaryBinding(getOr), cel.OverloadIsNonStrict())),
		cel.ASTValidators(cidrLiteralValidator{}),
	}
}

// ipInCidrs(ip, cidrs) is true when ip is an IP address (v4, v6, IPv4-mapped v6) inside one of
// the CIDRs. A source that is not an address ("AWS Internal", "s3.amazonaws.com") is in none.
func ipInCidrs(ipVal, cidrsVal ref.Val) ref.Val {
	s, ok := ipVal.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(ipVal)
	}
	list, ok := cidrsVal.(traits.Lister)
	if !ok {
		return types.MaybeNoSuchOverloadErr(cidrsVal)
	}
	addr, err := netip.ParseAddr(string(s))
	if err != nil {
		return types.False
	}
	addr = addr.Unmap()
	it := list.Iterator()
	for it.HasNext() == types.True {
		c, ok := it.Next().(types.String)
		if !ok {
			return types.NewErr("ipInCidrs: CIDR list holds a non-string")
		}
		p, err := parseCIDR(string(c))
		if err != nil {
			return types.NewErr("ipInCidrs: %v", err)
		}
		if p.Contains(addr) {
			return types.True
		}
	}
	return types.False
}

// parseCIDR accepts a prefix or a bare address (a /32 or /128).
func parseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// arnParts splits arn:partition:service:region:account:resource. resourceType and resourceId
// split the resource at its first "/" or ":" (user/alice → user, alice; a plain resource
// such as a bucket name has resourceType "" and resourceId the whole). Every key is always
// present; a string that is not an ARN yields "" everywhere.
func arnParts(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	m := map[string]string{"partition": "", "service": "", "region": "", "account": "", "resource": "", "resourceType": "", "resourceId": ""}
	parts := strings.SplitN(string(s), ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		m["partition"], m["service"], m["region"], m["account"], m["resource"] = parts[1], parts[2], parts[3], parts[4], parts[5]
		res := parts[5]
		if i := strings.IndexAny(res, "/:"); i >= 0 {
			m["resourceType"], m["resourceId"] = res[:i], res[i+1:]
		} else {
			m["resourceId"] = res
		}
	}
	return types.NewStringStringMap(types.DefaultTypeAdapter, m)
}

// missing(x) is true when x does not exist (a key or index absent anywhere along its path),
// is null, the empty string, or an empty map or list; typed record fields CloudTrail left out
// read as "" (objects as absent, payloads as {}) and so count as missing. Other evaluation
// errors stay errors.
func missing(v ref.Val) ref.Val {
	if isAbsent(v) {
		return types.True
	}
	if types.IsError(v) || types.IsUnknown(v) {
		return v
	}
	switch x := v.(type) {
	case types.Null:
		return types.True
	case types.String:
		return types.Bool(x == "")
	case objectValue:
		return types.Bool(x.v == nil || isNilPointer(x.v))
	case traits.Sizer:
		return types.Bool(x.Size() == types.IntZero)
	}
	return types.False
}

// getOr(x, fallback) is x, or fallback when x does not exist or is null.
func getOr(v, fallback ref.Val) ref.Val {
	if isAbsent(v) {
		return fallback
	}
	if _, ok := v.(types.Null); ok {
		return fallback
	}
	return v
}

// isAbsent reports whether v is the error CEL gives for reading what is not there.
func isAbsent(v ref.Val) bool {
	e, ok := v.(*types.Err)
	if !ok {
		return false
	}
	msg := e.Error()
	return strings.HasPrefix(msg, "no such key") || strings.HasPrefix(msg, "index out of bounds") ||
		strings.HasPrefix(msg, "no such attribute")
}

// cidrLiteralValidator rejects, at compile time, a literal CIDR list with an entry that is
// not a CIDR, so a typo stops the function at start instead of erroring on every event.
type cidrLiteralValidator struct{}

func (cidrLiteralValidator) Name() string { return "trailguard.validator.ipInCidrs" }

func (cidrLiteralValidator) Validate(_ *cel.Env, _ cel.ValidatorConfig, a *ast.AST, iss *cel.Issues) {
	for _, call := range ast.MatchDescendants(ast.NavigateAST(a), ast.FunctionMatcher("ipInCidrs")) {
		args := call.AsCall().Args()
		if len(args) != 2 || args[1].Kind() != ast.ListKind {
			continue
		}
		for _, e := range args[1].AsList().Elements() {
			if e.Kind() != ast.LiteralKind {
				continue
			}
			s, ok := e.AsLiteral().(types.String)
			if !ok {
				continue
			}
			if _, err := parseCIDR(string(s)); err != nil {
				iss.ReportErrorAtID(e.ID(), "ipInCidrs: %q is not a CIDR or IP address", string(s))
			}
		}
	}
}
