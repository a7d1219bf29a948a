// Package alert is the one way out of trailguard for a finding: the Alert type, its rendering
// for the three audiences of the SNS topic (email, SMS, machines), sanitizing of the
// attacker-controlled text it quotes, and the publishers that deliver it.
package alert
