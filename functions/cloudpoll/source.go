package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trailguard/trailguard/shared/cloudaudit"
	"github.com/trailguard/trailguard/shared/config"
)

// Source is one audit API cloudpoll reads, as the SOURCES parameter lists it (a JSON array).
// Each source has its own read-only key pair in Secrets Manager (SecretARN), never in the
// environment.
type Source struct {
	// Name identifies the source in cursors, dedupe keys, logs and operator alerts; unique.
	Name string `json:"name"`
	// Cloud is huawei, alibaba or tencent.
	Cloud string `json:"cloud"`
	// Endpoint is the API's base URL: https://cts.cn-north-4.myhuaweicloud.com,
	// https://actiontrail.cn-hangzhou.aliyuncs.com, https://cloudaudit.tencentcloudapi.com.
	Endpoint string `json:"endpoint"`
	// Region: the Huawei region of the endpoint (IAM sign-ins are in the central region's CTS),
	// the Tencent X-TC-Region; unused for Alibaba (the endpoint names it).
	Region string `json:"region"`
	// ProjectID is the Huawei project of the region (the path's {project_id}).
	ProjectID string `json:"project_id"`
	// SecretARN is the Secrets Manager secret holding the key pair (see Credentials).
	SecretARN string `json:"secret_arn"`
	// API is, for Tencent, the CloudAudit action read: DescribeEvents (the default) or
	// LookUpEvents (2019-03-19 both; the same events, LookUpEvents' page token a string), for
	// accounts whose key may call only the latter.
	API string `json:"api,omitempty"`
	// AccountID is, for Alibaba, the account the key pair belongs to: the tags of its resources
	// are read with the key pair, those of any other account (a Resource Directory member)
	// through STS AssumeRole of MemberRole there. Empty: every account is read with the key.
	AccountID string `json:"account_id,omitempty"`
	// MemberRole is the role assumed in member accounts for their tags
	// (ResourceDirectoryAccountAccessRole when empty).
	MemberRole string `json:"member_role,omitempty"`
	// Delay overrides the cloud's delivery delay, the overlap of consecutive windows
	// (Go duration, e.g. "10m").
	Delay string `json:"delay,omitempty"`

	delay time.Duration
}

// TencentAPIs are the CloudAudit actions a Tencent source can read, the default first.
var TencentAPIs = []string{"DescribeEvents", "LookUpEvents"}

// DefaultDelay is how late each cloud delivers events to its API, by its documentation and
// experience: ActionTrail about 10 minutes (its LookupEvents reference: events are queryable
// "within about 10 minutes"), CTS and CloudAudit a few minutes. Each window starts this long
// before the previous one ended, so a late event is read by the next poll, and dedupe by event
// ID makes the overlap free.
var DefaultDelay = map[string]time.Duration{
	cloudaudit.Huawei:  5 * time.Minute,
	cloudaudit.Alibaba: 15 * time.Minute,
	cloudaudit.Tencent: 5 * time.Minute,
}

// ParseSources reads and validates SOURCES; every error names the variable and the source.
func ParseSources(s string) ([]Source, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Source
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, &config.Error{Var: "SOURCES", Problem: fmt.Sprintf("not a JSON array of sources: %v", err)}
	}
	seen := map[string]bool{}
	for i := range out {
		src := &out[i]
		bad := func(problem string) error {
			return &config.Error{Var: "SOURCES", Problem: fmt.Sprintf("source %d (%q): %s", i, src.Name, problem)}
		}
		switch {
		case src.Name == "":
			return nil, bad("name is required")
		case seen[src.Name]:
			return nil, bad("name used twice")
		case !slices.Contains(cloudaudit.Clouds, src.Cloud):
			return nil, bad(fmt.Sprintf("cloud %q is not huawei, alibaba or tencent", src.Cloud))
		case src.SecretARN == "":
			return nil, bad("secret_arn is required (the key pair is read from Secrets Manager, never from the environment)")
		case src.Cloud == cloudaudit.Huawei && src.ProjectID == "":
			return nil, bad("project_id is required for huawei")
		case src.API != "" && (src.Cloud != cloudaudit.Tencent || !slices.Contains(TencentAPIs, src.API)):
			return nil, bad(fmt.Sprintf("api %q: only a tencent source chooses its API, DescribeEvents or LookUpEvents", src.API))
		}
		seen[src.Name] = true
		u, err := url.Parse(src.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, bad(fmt.Sprintf("endpoint %q is not an http(s) URL", src.Endpoint))
		}
		src.delay = DefaultDelay[src.Cloud]
		if src.Delay != "" {
			d, err := time.ParseDuration(src.Delay)
			if err != nil || d < 0 || d > 24*time.Hour {
				return nil, bad(fmt.Sprintf("delay %q is not a duration between 0 and 24h", src.Delay))
			}
			src.delay = d
		}
	}
	return out, nil
}
