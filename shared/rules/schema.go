package rules

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/trailguard/trailguard/shared/trail"
)

// The record is exposed to CEL as a typed object rather than a JSON map, for two reasons.
// Type-checking at start catches a misspelt field (event.evntName) or a wrong comparison
// (mfaAuthenticated == "true" on a bool) instead of a rule that silently never matches. And a
// field CloudTrail left out reads as its default ("" or false), as in protobuf, so rules do not
// need has() around every optional top-level field. Only the service-specific payloads are
// dynamic JSON, decoded on first use, once per event.

// objectType is one CEL object type backed by a Go type: its fields and how to read them.
type objectType struct {
	celType *types.Type
	goType  reflect.Type
	fields  map[string]*types.FieldType
	names   []string
}

func newObjectType[T any](name string) *objectType {
	return &objectType{
		celType: types.NewObjectType(name),
		goType:  reflect.TypeFor[*T](),
		fields:  map[string]*types.FieldType{},
	}
}

func (o *objectType) add(name string, t *types.Type, isSet ref.FieldTester, get ref.FieldGetter) {
	o.fields[name] = &types.FieldType{Type: t, IsSet: isSet, GetFrom: get}
	o.names = append(o.names, name)
}

// target unwraps the receiver of a field access; nil when the object itself is absent
// (a nil *T), in which case every field reads as its default.
func target[T any](obj any) *T {
	p, _ := obj.(*T)
	return p
}

func stringField[T any](o *objectType, name string, get func(*T) string) {
	o.add(name, types.StringType,
		func(obj any) bool { p := target[T](obj); return p != nil && get(p) != "" },
		func(obj any) (any, error) {
			if p := target[T](obj); p != nil {
				return get(p), nil
			}
			return "", nil
		})
}

func boolField[T any](o *objectType, name string, get func(*T) trail.Bool) {
	o.add(name, types.BoolType,
		func(obj any) bool { p := target[T](obj); return p != nil && get(p).Present },
		func(obj any) (any, error) {
			if p := target[T](obj); p != nil {
				return get(p).Value, nil
			}
			return false, nil
		})
}

// objectField is a nested object; get returns nil when it is absent.
func objectField[T, U any](o *objectType, name string, u *objectType, get func(*T) *U, isSet func(*U) bool) {
	o.add(name, u.celType,
		func(obj any) bool {
			if p := target[T](obj); p != nil {
				if v := get(p); v != nil {
					return isSet(v)
				}
			}
			return false
		},
		func(obj any) (any, error) {
			if p := target[T](obj); p != nil {
				return get(p), nil
			}
			return (*U)(nil), nil
		})
}

// dynField is raw JSON, decoded when read. An absent or null payload reads as an empty map,
// so has(event.requestParameters.bucketName) is false and a direct read is "no such key".
func dynField[T any](o *objectType, name string, get func(*T) (any, error), raw func(*T) []byte) {
	o.add(name, types.DynType,
		func(obj any) bool { p := target[T](obj); return p != nil && present(raw(p)) },
		func(obj any) (any, error) {
			if p := target[T](obj); p != nil {
				return get(p)
			}
			return emptyMap, nil
		})
}

var emptyMap = map[string]any{}

func present(raw []byte) bool { return len(raw) > 0 && string(raw) != "null" }

// decodeJSON decodes one payload for CEL: objects become map[string]any, numbers float64.
func decodeJSON(raw []byte, field string) (any, error) {
	if !present(raw) {
		return emptyMap, nil
	}
	v, err := unmarshalAny(raw)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", field, err)
	}
	return v, nil
}

// eventValue is what `event` is bound to for one evaluation: the record plus its payloads,
// decoded at most once however many rules read them.
type eventValue struct {
	rec *trail.Record
	// trees are the payload paths the rules that may run read (nil: decode payloads whole).
	trees   *payloadTrees
	decoded [numPayloads]bool
	values  [numPayloads]any
	errs    [numPayloads]error
	// strs holds the top-level strings already handed to CEL: most rules read eventSource and
	// eventName, and boxing a string for CEL allocates, so each is boxed once per event.
	strs [maxEventStrings]any
}

// maxEventStrings bounds the top-level string fields of the record (newSchema checks).
const maxEventStrings = 32

// The top-level payloads decoded once per event.
const (
	payloadRequestParameters = iota
	payloadResponseElements
	payloadAdditionalEventData
	payloadServiceEventDetails
	payloadAddendum
	payloadEdgeDeviceDetails
	payloadInsightDetails
	numPayloads
)

// payloadNames are trail.PayloadNames, in the order of the constants above (a different
// length does not compile).
var payloadNames [numPayloads]string = trail.PayloadNames

func (e *eventValue) raw(i int) []byte {
	r := e.rec
	switch i {
	case payloadRequestParameters:
		return r.RequestParameters
	case payloadResponseElements:
		return r.ResponseElements
	case payloadAdditionalEventData:
		return r.AdditionalEventData
	case payloadServiceEventDetails:
		return r.ServiceEventDetails
	case payloadAddendum:
		return r.Addendum
	case payloadEdgeDeviceDetails:
		return r.EdgeDeviceDetails
	default:
		return r.InsightDetails
	}
}

func (e *eventValue) payload(i int) (any, error) {
	if !e.decoded[i] {
		var tree *pathTree
		if e.trees != nil {
			tree = e.trees[i]
		}
		e.values[i], e.errs[i] = decodePaths(e.raw(i), tree, payloadNames[i])
		e.decoded[i] = true
	}
	return e.values[i], e.errs[i]
}

// schema is the set of object types of `event`, built once.
type schema struct {
	event   *objectType
	byName  map[string]*objectType
	byGo    map[reflect.Type]*objectType
	adapter types.Adapter
}

// The CEL type names of the record's objects.
const (
	EventTypeName = "trailguard.Event"
	typePrefix    = "trailguard."
)

func newSchema(base types.Adapter) *schema {
	s := &schema{byName: map[string]*objectType{}, byGo: map[reflect.Type]*objectType{}}
	s.adapter = &adapter{base: base, s: s}

	issuer := newObjectType[trail.SessionIssuer](typePrefix + "SessionIssuer")
	stringField(issuer, "type", func(i *trail.SessionIssuer) string { return i.Type })
	stringField(issuer, "principalId", func(i *trail.SessionIssuer) string { return i.PrincipalID })
	stringField(issuer, "arn", func(i *trail.SessionIssuer) string { return i.ARN })
	stringField(issuer, "accountId", func(i *trail.SessionIssuer) string { return i.AccountID })
	stringField(issuer, "userName", func(i *trail.SessionIssuer) string { return i.UserName })

	attrs := newObjectType[trail.SessionAttributes](typePrefix + "SessionAttributes")
	stringField(attrs, "creationDate", func(a *trail.SessionAttributes) string { return a.CreationDate })
	boolField(attrs, "mfaAuthenticated", func(a *trail.SessionAttributes) trail.Bool { return a.MFAAuthenticated })

	session := newObjectType[trail.SessionContext](typePrefix + "SessionContext")
	objectField(session, "sessionIssuer", issuer,
		func(c *trail.SessionContext) *trail.SessionIssuer { return c.SessionIssuer },
		func(*trail.SessionIssuer) bool { return true })
	objectField(session, "attributes", attrs,
		func(c *trail.SessionContext) *trail.SessionAttributes { return &c.Attributes },
		func(a *trail.SessionAttributes) bool { return a.CreationDate != "" || a.MFAAuthenticated.Present })
	dynField(session, "webIdFederationData",
		func(c *trail.SessionContext) (any, error) {
			return decodeJSON(c.WebIDFederationData, "userIdentity.sessionContext.webIdFederationData")
		},
		func(c *trail.SessionContext) []byte { return c.WebIDFederationData })
	stringField(session, "sourceIdentity", func(c *trail.SessionContext) string { return c.SourceIdentity })
	stringField(session, "ec2RoleDelivery", func(c *trail.SessionContext) string { return c.EC2RoleDelivery })
	boolField(session, "assumedRoot", func(c *trail.SessionContext) trail.Bool { return c.AssumedRoot })

	onBehalf := newObjectType[trail.OnBehalfOf](typePrefix + "OnBehalfOf")
	stringField(onBehalf, "userId", func(o *trail.OnBehalfOf) string { return o.UserID })
	stringField(onBehalf, "identityStoreArn", func(o *trail.OnBehalfOf) string { return o.IdentityStoreARN })

	identity := newObjectType[trail.UserIdentity](typePrefix + "UserIdentity")
	stringField(identity, "type", func(u *trail.UserIdentity) string { return u.Type })
	stringField(identity, "principalId", func(u *trail.UserIdentity) string { return u.PrincipalID })
	stringField(identity, "arn", func(u *trail.UserIdentity) string { return u.ARN })
	stringField(identity, "accountId", func(u *trail.UserIdentity) string { return u.AccountID })
	stringField(identity, "accessKeyId", func(u *trail.UserIdentity) string { return u.AccessKeyID })
	stringField(identity, "userName", func(u *trail.UserIdentity) string { return u.UserName })
	stringField(identity, "invokedBy", func(u *trail.UserIdentity) string { return u.InvokedBy })
	stringField(identity, "identityProvider", func(u *trail.UserIdentity) string { return u.IdentityProvider })
	stringField(identity, "credentialId", func(u *trail.UserIdentity) string { return u.CredentialID })
	objectField(identity, "sessionContext", session,
		func(u *trail.UserIdentity) *trail.SessionContext { return u.SessionContext },
		func(*trail.SessionContext) bool { return true })
	objectField(identity, "onBehalfOf", onBehalf,
		func(u *trail.UserIdentity) *trail.OnBehalfOf { return u.OnBehalfOf },
		func(*trail.OnBehalfOf) bool { return true })
	dynField(identity, "inScopeOf",
		func(u *trail.UserIdentity) (any, error) { return decodeJSON(u.InScopeOf, "userIdentity.inScopeOf") },
		func(u *trail.UserIdentity) []byte { return u.InScopeOf })

	resource := newObjectType[trail.Resource](typePrefix + "Resource")
	stringField(resource, "ARN", func(r *trail.Resource) string { return r.ARN })
	stringField(resource, "accountId", func(r *trail.Resource) string { return r.AccountID })
	stringField(resource, "type", func(r *trail.Resource) string { return r.Type })

	tls := newObjectType[trail.TLSDetails](typePrefix + "TLSDetails")
	stringField(tls, "tlsVersion", func(t *trail.TLSDetails) string { return t.TLSVersion })
	stringField(tls, "cipherSuite", func(t *trail.TLSDetails) string { return t.CipherSuite })
	stringField(tls, "clientProvidedHostHeader", func(t *trail.TLSDetails) string { return t.ClientProvidedHostHeader })

	ev := newObjectType[eventValue](EventTypeName)
	var numStrs int
	str := func(name string, get func(*trail.Record) string) {
		i := numStrs
		if numStrs++; numStrs > maxEventStrings {
			panic("rules: raise maxEventStrings")
		}
		ev.add(name, types.StringType,
			func(obj any) bool { p := target[eventValue](obj); return p != nil && get(p.rec) != "" },
			func(obj any) (any, error) {
				p := target[eventValue](obj)
				if p == nil {
					return "", nil
				}
				if p.strs[i] == nil {
					p.strs[i] = get(p.rec)
				}
				return p.strs[i], nil
			})
	}
	boolean := func(name string, get func(*trail.Record) trail.Bool) {
		boolField(ev, name, func(e *eventValue) trail.Bool { return get(e.rec) })
	}
	str("eventVersion", func(r *trail.Record) string { return r.EventVersion })
	objectField(ev, "userIdentity", identity,
		func(e *eventValue) *trail.UserIdentity { return &e.rec.UserIdentity },
		func(u *trail.UserIdentity) bool {
			return u.Type != "" || u.PrincipalID != "" || u.ARN != "" || u.AccountID != ""
		})
	str("eventTime", func(r *trail.Record) string { return r.EventTime })
	str("eventSource", func(r *trail.Record) string { return r.EventSource })
	str("eventName", func(r *trail.Record) string { return r.EventName })
	str("awsRegion", func(r *trail.Record) string { return r.AWSRegion })
	str("sourceIPAddress", func(r *trail.Record) string { return r.SourceIPAddress })
	str("userAgent", func(r *trail.Record) string { return r.UserAgent })
	str("errorCode", func(r *trail.Record) string { return r.ErrorCode })
	str("errorMessage", func(r *trail.Record) string { return r.ErrorMessage })
	str("requestID", func(r *trail.Record) string { return r.RequestID })
	str("eventID", func(r *trail.Record) string { return r.EventID })
	str("eventType", func(r *trail.Record) string { return r.EventType })
	str("apiVersion", func(r *trail.Record) string { return r.APIVersion })
	boolean("managementEvent", func(r *trail.Record) trail.Bool { return r.ManagementEvent })
	boolean("readOnly", func(r *trail.Record) trail.Bool { return r.ReadOnly })
	str("recipientAccountId", func(r *trail.Record) string { return r.RecipientAccountID })
	str("sharedEventID", func(r *trail.Record) string { return r.SharedEventID })
	str("vpcEndpointId", func(r *trail.Record) string { return r.VPCEndpointID })
	str("vpcEndpointAccountId", func(r *trail.Record) string { return r.VPCEndpointAccountID })
	str("eventCategory", func(r *trail.Record) string { return r.EventCategory })
	boolean("sessionCredentialFromConsole", func(r *trail.Record) trail.Bool { return r.SessionCredentialFromConsole })
	// cloud: "" for AWS, "huawei", "alibaba" or "tencent" for records cloudpoll normalized.
	str("cloud", func(r *trail.Record) string { return r.Cloud })
	objectField(ev, "tlsDetails", tls,
		func(e *eventValue) *trail.TLSDetails { return e.rec.TLSDetails },
		func(*trail.TLSDetails) bool { return true })
	for i, name := range payloadNames {
		dynField(ev, name,
			func(e *eventValue) (any, error) { return e.payload(i) },
			func(e *eventValue) []byte { return e.raw(i) })
	}
	ev.add("resources", types.NewListType(resource.celType),
		func(obj any) bool { p := target[eventValue](obj); return p != nil && len(p.rec.Resources) > 0 },
		func(obj any) (any, error) {
			p := target[eventValue](obj)
			if p == nil {
				return []ref.Val{}, nil
			}
			vals := make([]ref.Val, len(p.rec.Resources))
			for i := range p.rec.Resources {
				vals[i] = objectValue{t: resource, v: &p.rec.Resources[i], adapter: s.adapter}
			}
			return types.NewRefValList(s.adapter, vals), nil
		})

	for _, o := range []*objectType{issuer, attrs, session, onBehalf, identity, resource, tls, ev} {
		s.byName[o.celType.TypeName()] = o
		s.byGo[o.goType] = o
	}
	s.event = ev
	return s
}

// provider answers the type checker's and the interpreter's questions about the record's
// object types, and defers to the standard registry for everything else.
type provider struct {
	types.Provider
	s *schema
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if o, ok := p.s.byName[name]; ok {
		return types.NewTypeTypeWithParam(o.celType), true
	}
	return p.Provider.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if o, ok := p.s.byName[name]; ok {
		return o.names, true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if o, ok := p.s.byName[name]; ok {
		ft, found := o.fields[field]
		return ft, found
	}
	return p.Provider.FindStructFieldType(name, field)
}

func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.s.byName[name]; ok {
		return types.NewErr("%s is read-only: rules cannot construct one", name)
	}
	return p.Provider.NewValue(name, fields)
}

// adapter turns the record's Go objects into CEL values when an expression yields a whole
// object (event.userIdentity passed to a function, an element of event.resources).
type adapter struct {
	base types.Adapter
	s    *schema
}

func (a *adapter) NativeToValue(v any) ref.Val {
	if o, ok := a.s.byGo[reflect.TypeOf(v)]; ok {
		return objectValue{t: o, v: v, adapter: a}
	}
	return a.base.NativeToValue(v)
}

// objectValue is one of the record's objects as a CEL value.
type objectValue struct {
	t       *objectType
	v       any // *T, possibly nil: an absent object whose fields read as defaults
	adapter types.Adapter
}

var (
	_ traits.Indexer     = objectValue{}
	_ traits.FieldTester = objectValue{}
)

func (o objectValue) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(o.v).AssignableTo(typeDesc) {
		return o.v, nil
	}
	return nil, fmt.Errorf("type conversion error from %s to %v", o.t.celType.TypeName(), typeDesc)
}

func (o objectValue) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return o.t.celType
	}
	if t.TypeName() == o.t.celType.TypeName() {
		return o
	}
	return types.NewErr("type conversion error from %s to %s", o.t.celType.TypeName(), t.TypeName())
}

func (o objectValue) Equal(other ref.Val) ref.Val {
	ov, ok := other.(objectValue)
	return types.Bool(ok && ov.t == o.t && reflect.DeepEqual(ov.v, o.v))
}

func (o objectValue) Type() ref.Type { return o.t.celType }
func (o objectValue) Value() any     { return o.v }

func (o objectValue) Get(index ref.Val) ref.Val {
	name, ok := index.(types.String)
	if !ok {
		return types.ValOrErr(index, "no such overload")
	}
	ft, ok := o.t.fields[string(name)]
	if !ok {
		return types.NewErr("no such field: %s", name)
	}
	v, err := ft.GetFrom(o.v)
	if err != nil {
		return types.WrapErr(err)
	}
	return o.adapter.NativeToValue(v)
}

func (o objectValue) IsSet(field ref.Val) ref.Val {
	name, ok := field.(types.String)
	if !ok {
		return types.ValOrErr(field, "no such overload")
	}
	ft, ok := o.t.fields[string(name)]
	if !ok {
		return types.NewErr("no such field: %s", name)
	}
	return types.Bool(ft.IsSet(o.v))
}

func isNilPointer(v any) bool {
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}
