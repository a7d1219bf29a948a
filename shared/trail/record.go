package trail

import (
	"time"

	json "github.com/trailguard/trailguard/internal/fastjson"
)

// Record is one CloudTrail event record with every top-level field CloudTrail documents.
// Service-specific payloads (request, response, additional data, service details) stay raw
// JSON: their shape depends on the API called, and most consumers only look at a few keys.
type Record struct {
	EventVersion                 string          `json:"eventVersion"`
	UserIdentity                 UserIdentity    `json:"userIdentity"`
	EventTime                    string          `json:"eventTime"`
	EventSource                  string          `json:"eventSource"`
	EventName                    string          `json:"eventName"`
	AWSRegion                    string          `json:"awsRegion"`
	SourceIPAddress              string          `json:"sourceIPAddress"`
	UserAgent                    string          `json:"userAgent"`
	ErrorCode                    string          `json:"errorCode"`
	ErrorMessage                 string          `json:"errorMessage"`
	RequestParameters            json.RawMessage `json:"requestParameters"`
	ResponseElements             json.RawMessage `json:"responseElements"`
	AdditionalEventData          json.RawMessage `json:"additionalEventData"`
	RequestID                    string          `json:"requestID"`
	EventID                      string          `json:"eventID"`
	EventType                    string          `json:"eventType"`
	APIVersion                   string          `json:"apiVersion"`
	ManagementEvent              Bool            `json:"managementEvent"`
	ReadOnly                     Bool            `json:"readOnly"`
	Resources                    []Resource      `json:"resources"`
	RecipientAccountID           string          `json:"recipientAccountId"`
	ServiceEventDetails          json.RawMessage `json:"serviceEventDetails"`
	SharedEventID                string          `json:"sharedEventID"`
	VPCEndpointID                string          `json:"vpcEndpointId"`
	VPCEndpointAccountID         string          `json:"vpcEndpointAccountId"`
	EventCategory                string          `json:"eventCategory"`
	Addendum                     json.RawMessage `json:"addendum"`
	SessionCredentialFromConsole Bool            `json:"sessionCredentialFromConsole"`
	EdgeDeviceDetails            json.RawMessage `json:"edgeDeviceDetails"`
	TLSDetails                   *TLSDetails     `json:"tlsDetails"`
	InsightDetails               json.RawMessage `json:"insightDetails"`

	// Cloud names the cloud whose audit log the record came from when it is not AWS's:
	// "huawei", "alibaba" or "tencent" for records shared/cloudaudit normalized from CTS,
	// ActionTrail and CloudAudit. Empty means AWS CloudTrail (CloudTrail never writes it), so
	// rules and alerts tell the clouds apart with one field (event.cloud in CEL).
	Cloud string `json:"cloud,omitempty"`

	// OddFields lists the paths of fields that were present with an unexpected JSON type and
	// were dropped (left at their zero value), e.g. "userAgent" or "userIdentity.sessionContext".
	// A function logs them and counts them (metric OddFields); whether the record can still be
	// used is Check's to say, and whether a dropped field matters to a decision is the caller's.
	OddFields []string `json:"-"`
	// EventIDDerived: the record had no eventID, and EventID is DeriveEventID's.
	EventIDDerived bool `json:"-"`
}

// Resource is one entry of a record's resources list.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	// Unparsed keeps an entry that was a string rather than an object (seen in re-exported
	// logs that stringified each entry); it is kept, not guessed at.
	Unparsed string `json:"-"`
}

// UnmarshalJSON accepts the documented object form and, leniently, a string entry.
func (r *Resource) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*r = Resource{}
		return json.Unmarshal(data, &r.Unparsed)
	}
	type plain Resource
	return json.Unmarshal(data, (*plain)(r))
}

// TLSDetails describes the TLS connection of the call.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// Time parses eventTime in any accepted form (ParseTime), in UTC.
func (r *Record) Time() (time.Time, error) { return ParseTime(r.EventTime) }

// Account is the account the event was delivered for: recipientAccountId, else the caller's.
func (r *Record) Account() string {
	if r.RecipientAccountID != "" {
		return r.RecipientAccountID
	}
	return r.UserIdentity.AccountID
}
