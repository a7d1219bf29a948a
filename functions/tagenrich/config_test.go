package main

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/trailguard/trailguard/shared/config"
)

func TestLoadConfig(t *testing.T) {
	lambdaOK := map[string]string{
		"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "CHANGE_TABLE": "changes", "KNOWN_TAGS_TABLE": "known",
		"HOME_ACCOUNT_ID": "111122223333",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	tests := []struct {
		name   string
		env    map[string]string
		badVar string
		check  func(t *testing.T, s settings)
	}{
		{name: "local defaults", env: map[string]string{}, check: func(t *testing.T, s settings) {
			if !s.OnlyWrite || s.RetentionDays != 180 || !reflect.DeepEqual(s.TagKeys, []string{"project", "cost-center", "owner", "env"}) {
				t.Errorf("defaults %+v", s.Config)
			}
		}},
		{name: "lambda with its tables", env: lambdaOK},
		{name: "services normalized", env: map[string]string{"SERVICES": "ec2, s3.amazonaws.com,"}, check: func(t *testing.T, s settings) {
			want := map[string]bool{"ec2.amazonaws.com": true, "s3.amazonaws.com": true}
			if !reflect.DeepEqual(s.services, want) {
				t.Errorf("services %v, want %v", s.services, want)
			}
		}},
		{name: "alert tags parsed", env: map[string]string{"ALERT_ON_TAGS": "env=prod, data-class = secret"}, check: func(t *testing.T, s settings) {
			want := []tagCond{{"env", "prod"}, {"data-class", "secret"}}
			if !reflect.DeepEqual(s.alertOn, want) {
				t.Errorf("alertOn %v, want %v", s.alertOn, want)
			}
		}},
		{name: "no tag keys", env: map[string]string{"TAG_KEYS": " , "}, badVar: "TAG_KEYS"},
		{name: "tag key with =", env: map[string]string{"TAG_KEYS": "project,a=b"}, badVar: "TAG_KEYS"},
		{name: "alert tag without value", env: map[string]string{"ALERT_ON_TAGS": "prod"}, badVar: "ALERT_ON_TAGS"},
		{name: "zero retention", env: map[string]string{"RETENTION_DAYS": "0"}, badVar: "RETENTION_DAYS"},
		{name: "unparsable retention", env: map[string]string{"RETENTION_DAYS": "half a year"}, badVar: "RETENTION_DAYS"},
		{name: "bad account", env: map[string]string{"HOME_ACCOUNT_ID": "1111"}, badVar: "HOME_ACCOUNT_ID"},
		{name: "bad role name", env: map[string]string{"MEMBER_ROLE_NAME": "role/with/path"}, badVar: "MEMBER_ROLE_NAME"},
		{name: "no attempts", env: map[string]string{"LOOKUP_MAX_ATTEMPTS": "0"}, badVar: "LOOKUP_MAX_ATTEMPTS"},
		{name: "negative cache ttl", env: map[string]string{"TAG_CACHE_TTL": "-1m"}, badVar: "TAG_CACHE_TTL"},
		{name: "lambda without change table", env: with(lambdaOK, "CHANGE_TABLE", ""), badVar: "CHANGE_TABLE"},
		{name: "lambda without known-tags table", env: with(lambdaOK, "KNOWN_TAGS_TABLE", ""), badVar: "KNOWN_TAGS_TABLE"},
		{name: "lambda without home account", env: with(lambdaOK, "HOME_ACCOUNT_ID", ""), badVar: "HOME_ACCOUNT_ID"},
		{name: "lambda alerting without topic", env: with(lambdaOK, "ALERT_ON_TAGS", "env=prod"), badVar: "ALERT_TOPIC_ARN"},
		{name: "lambda alerting without state table", env: with(lambdaOK, "ALERT_ON_TAGS", "env=prod", "ALERT_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:alerts"), badVar: "ALERT_STATE_TABLE"},
		{name: "lambda alerting", env: with(lambdaOK, "ALERT_ON_TAGS", "env=prod", "ALERT_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:alerts", "ALERT_STATE_TABLE", "state")},
		{name: "member accounts and organization", env: map[string]string{"MEMBER_ACCOUNTS": "444455556666, 777788889999,", "ORGANIZATION_ID": "o-a1b2c3d4e5"},
			check: func(t *testing.T, s settings) {
				a := s.accounts(nil)
				if !reflect.DeepEqual(a.Members, []string{"444455556666", "777788889999"}) || a.Organization != "o-a1b2c3d4e5" {
					t.Errorf("accounts %+v, want the two members and the organization", a)
				}
			}},
		{name: "neither member accounts nor organization", env: map[string]string{"MEMBER_ACCOUNTS": "", "ORGANIZATION_ID": ""},
			check: func(t *testing.T, s settings) {
				if a := s.accounts(nil); len(a.Members) != 0 || a.Organization != "" {
					t.Errorf("accounts %+v, want none: no role is assumed", a)
				}
			}},
		{name: "member account too short", env: map[string]string{"MEMBER_ACCOUNTS": "444455556666,12345"}, badVar: "MEMBER_ACCOUNTS"},
		{name: "member account ARN", env: map[string]string{"MEMBER_ACCOUNTS": "arn:aws:iam::444455556666:root"}, badVar: "MEMBER_ACCOUNTS"},
		{name: "member account wildcard", env: map[string]string{"MEMBER_ACCOUNTS": "*"}, badVar: "MEMBER_ACCOUNTS"},
		{name: "organization root ID", env: map[string]string{"ORGANIZATION_ID": "r-ab12"}, badVar: "ORGANIZATION_ID"},
		{name: "organization upper case", env: map[string]string{"ORGANIZATION_ID": "o-A1B2C3D4E5"}, badVar: "ORGANIZATION_ID"},
		{name: "organization too short", env: map[string]string{"ORGANIZATION_ID": "o-a1b2c3"}, badVar: "ORGANIZATION_ID"},
		{name: "negative suppression window", env: map[string]string{"SUPPRESS_WINDOW": "-1h"}, badVar: "SUPPRESS_WINDOW"},
	}
	vars := []string{"AWS_LAMBDA_RUNTIME_API", "ONLY_WRITE", "SERVICES", "TAG_KEYS", "RETENTION_DAYS", "KNOWN_TAGS_DAYS",
		"ALERT_ON_TAGS", "CHANGE_TABLE", "KNOWN_TAGS_TABLE", "HOME_ACCOUNT_ID", "MEMBER_ROLE_NAME", "MEMBER_ACCOUNTS", "ORGANIZATION_ID", "TAG_CACHE_TTL",
		"TAG_CACHE_SIZE", "LOOKUP_MAX_ATTEMPTS", "ALERT_TOPIC_ARN", "ALERT_STATE_TABLE", "SUPPRESS_WINDOW", "ALERT_DEDUPE_FOR"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tt.env[v])
				if _, set := tt.env[v]; !set {
					unsetenv(t, v)
				}
			}
			s, err := loadConfig()
			if tt.badVar != "" {
				var ce *config.Error
				if !errors.As(err, &ce) || ce.Var != tt.badVar {
					t.Fatalf("loadConfig = %v, want an error naming %s", err, tt.badVar)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// unsetenv removes a variable for one test; the t.Setenv before it makes the test restore it.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
