package alert

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/trail"
)

// TestCloudAlert: an alert about another cloud's record names the cloud in the SMS, the
// subject, the email and the JSON, and the fingerprint tells it from the same IDs on AWS;
// an AWS alert renders and fingerprints as before (no cloud anywhere).
func TestCloudAlert(t *testing.T) {
	aws := sample()
	tencent := sample()
	tencent.Cloud = "tencent"
	for _, tt := range []struct {
		name                string
		a                   Alert
		sms, subject, email string
		jsonCloud           any
		emailHasCloudLine   bool
	}{
		{"aws", aws, "acct:111122223333", "acct 111122223333", "Account:     111122223333", nil, false},
		{"tencent", tencent, "acct:tencent:111122223333", "acct tencent:111122223333", "Cloud:       tencent", "tencent", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.a)
			if !strings.HasSuffix(m.SMS, tt.sms) {
				t.Errorf("SMS %q, want it to end %q", m.SMS, tt.sms)
			}
			if !strings.HasSuffix(m.Subject, tt.subject) {
				t.Errorf("subject %q, want it to end %q", m.Subject, tt.subject)
			}
			if !strings.Contains(m.Email, tt.email) || strings.Contains(m.Email, "Cloud:") != tt.emailHasCloudLine {
				t.Errorf("email:\n%s", m.Email)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(m.Default), &v); err != nil || v["cloud"] != tt.jsonCloud {
				t.Errorf("JSON cloud %v (%v), want %v", v["cloud"], err, tt.jsonCloud)
			}
		})
	}
	if aws.Fingerprint() == tencent.Fingerprint() {
		t.Error("the same IDs on AWS and Tencent share a fingerprint")
	}
	rec := &trail.Record{Cloud: "huawei", EventName: "ConsoleLogin", EventID: "trace-1"}
	if a := AboutSignIn(rec, "Success"); a.Cloud != "huawei" || a.EventID != "trace-1" {
		t.Errorf("AboutSignIn: cloud %q, event ID %q", a.Cloud, a.EventID)
	}
}
