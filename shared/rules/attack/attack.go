// Package attack names the MITRE ATT&CK (Enterprise, cloud) tactics and techniques the rules
// map to, so an alert can say "T1562.008 Impair Defenses: Disable or Modify Cloud Logs"
// instead of a bare ID the responder has to look up. It is a leaf package: the rules engine
// validates rules against it and the alert renderer names the IDs an alert carries.
//
// Names are those of ATT&CK v16 (attack.mitre.org). A rule of the built-in pack may only
// use IDs listed here (its test enforces it); a team's own rule may use any well-formed
// technique ID, shown without a name.
package attack

import (
	"regexp"
	"sort"
	"strings"
)

// Patterns of the two kinds of ID a rule's attack list holds.
var (
	TacticPattern    = regexp.MustCompile(`^TA\d{4}$`)
	TechniquePattern = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
)

// Tactics are the ATT&CK Enterprise tactics, in the order of the matrix.
var Tactics = map[string]string{
	"TA0043": "Reconnaissance",
	"TA0042": "Resource Development",
	"TA0001": "Initial Access",
	"TA0002": "Execution",
	"TA0003": "Persistence",
	"TA0004": "Privilege Escalation",
	"TA0005": "Defense Evasion",
	"TA0006": "Credential Access",
	"TA0007": "Discovery",
	"TA0008": "Lateral Movement",
	"TA0009": "Collection",
	"TA0011": "Command and Control",
	"TA0010": "Exfiltration",
	"TA0040": "Impact",
}

// TacticOrder lists the tactics in the order of the ATT&CK matrix, for reports.
var TacticOrder = []string{"TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005",
	"TA0006", "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"}

// Techniques are the techniques and sub-techniques of ATT&CK's cloud (IaaS, Identity
// Provider, SaaS) platforms that CloudTrail records can show. A sub-technique's name is
// "Technique: Sub-technique", as ATT&CK writes it.
var Techniques = map[string]string{
	"T1021":     "Remote Services",
	"T1021.007": "Remote Services: Cloud Services",
	"T1021.008": "Remote Services: Direct Cloud VM Connections",
	"T1048":     "Exfiltration Over Alternative Protocol",
	"T1059":     "Command and Scripting Interpreter",
	"T1059.009": "Command and Scripting Interpreter: Cloud API",
	"T1069":     "Permission Groups Discovery",
	"T1069.003": "Permission Groups Discovery: Cloud Groups",
	"T1078":     "Valid Accounts",
	"T1078.001": "Valid Accounts: Default Accounts",
	"T1078.004": "Valid Accounts: Cloud Accounts",
	"T1087":     "Account Discovery",
	"T1087.004": "Account Discovery: Cloud Account",
	"T1098":     "Account Manipulation",
	"T1098.001": "Account Manipulation: Additional Cloud Credentials",
	"T1098.003": "Account Manipulation: Additional Cloud Roles",
	"T1098.004": "Account Manipulation: SSH Authorized Keys",
	"T1110":     "Brute Force",
	"T1110.001": "Brute Force: Password Guessing",
	"T1110.003": "Brute Force: Password Spraying",
	"T1110.004": "Brute Force: Credential Stuffing",
	"T1136":     "Create Account",
	"T1136.003": "Create Account: Cloud Account",
	"T1190":     "Exploit Public-Facing Application",
	"T1199":     "Trusted Relationship",
	"T1201":     "Password Policy Discovery",
	"T1484":     "Domain or Tenant Policy Modification",
	"T1484.002": "Domain or Tenant Policy Modification: Trust Modification",
	"T1485":     "Data Destruction",
	"T1486":     "Data Encrypted for Impact",
	"T1489":     "Service Stop",
	"T1490":     "Inhibit System Recovery",
	"T1496":     "Resource Hijacking",
	"T1525":     "Implant Internal Image",
	"T1526":     "Cloud Service Discovery",
	"T1528":     "Steal Application Access Token",
	"T1530":     "Data from Cloud Storage",
	"T1531":     "Account Access Removal",
	"T1535":     "Unused/Unsupported Cloud Regions",
	"T1537":     "Transfer Data to Cloud Account",
	"T1538":     "Cloud Service Dashboard",
	"T1548":     "Abuse Elevation Control Mechanism",
	"T1548.005": "Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access",
	"T1550":     "Use Alternate Authentication Material",
	"T1550.001": "Use Alternate Authentication Material: Application Access Token",
	"T1546":     "Event Triggered Execution",
	"T1552":     "Unsecured Credentials",
	"T1552.001": "Unsecured Credentials: Credentials In Files",
	"T1552.005": "Unsecured Credentials: Cloud Instance Metadata API",
	"T1555":     "Credentials from Password Stores",
	"T1555.006": "Credentials from Password Stores: Cloud Secrets Management Stores",
	"T1556":     "Modify Authentication Process",
	"T1556.006": "Modify Authentication Process: Multi-Factor Authentication",
	"T1556.007": "Modify Authentication Process: Hybrid Identity",
	"T1562":     "Impair Defenses",
	"T1562.001": "Impair Defenses: Disable or Modify Tools",
	"T1562.007": "Impair Defenses: Disable or Modify Cloud Firewall",
	"T1562.008": "Impair Defenses: Disable or Modify Cloud Logs",
	"T1565":     "Data Manipulation",
	"T1567":     "Exfiltration Over Web Service",
	"T1578":     "Modify Cloud Compute Infrastructure",
	"T1578.001": "Modify Cloud Compute Infrastructure: Create Snapshot",
	"T1578.002": "Modify Cloud Compute Infrastructure: Create Cloud Instance",
	"T1578.003": "Modify Cloud Compute Infrastructure: Delete Cloud Instance",
	"T1578.004": "Modify Cloud Compute Infrastructure: Revert Cloud Instance",
	"T1578.005": "Modify Cloud Compute Infrastructure: Modify Cloud Compute Configurations",
	"T1580":     "Cloud Infrastructure Discovery",
	"T1606":     "Forge Web Credentials",
	"T1619":     "Cloud Storage Object Discovery",
	"T1648":     "Serverless Execution",
	"T1651":     "Cloud Administration Command",
	"T1657":     "Financial Theft",
	"T1666":     "Modify Cloud Resource Hierarchy",
}

// IsTactic reports whether id has a tactic ID's form (TA0005), known or not.
func IsTactic(id string) bool { return TacticPattern.MatchString(id) }

// IsTechnique reports whether id has a technique ID's form (T1562 or T1562.008).
func IsTechnique(id string) bool { return TechniquePattern.MatchString(id) }

// Name is the name of a tactic or technique ID, "" when this table does not know it.
func Name(id string) string {
	if n, ok := Tactics[id]; ok {
		return n
	}
	return Techniques[id]
}

// Label is "ID Name" ("T1562.008 Impair Defenses: Disable or Modify Cloud Logs"), or the ID
// alone when its name is unknown.
func Label(id string) string {
	if n := Name(id); n != "" {
		return id + " " + n
	}
	return id
}

// Split separates an attack list into its tactics and its techniques, each in list order;
// entries of neither form are dropped (validation reports them).
func Split(ids []string) (tactics, techniques []string) {
	for _, id := range ids {
		switch {
		case IsTactic(id):
			tactics = append(tactics, id)
		case IsTechnique(id):
			techniques = append(techniques, id)
		}
	}
	return tactics, techniques
}

// Labels is Label of each ID, joined with ", ".
func Labels(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Label(id)
	}
	return strings.Join(out, ", ")
}

// SortTactics orders tactic IDs as the ATT&CK matrix does (unknown ones last, by ID).
func SortTactics(ids []string) {
	rank := map[string]int{}
	for i, id := range TacticOrder {
		rank[id] = i + 1
	}
	sort.SliceStable(ids, func(i, j int) bool {
		ri, rj := rank[ids[i]], rank[ids[j]]
		if ri == 0 {
			ri = len(TacticOrder) + 1
		}
		if rj == 0 {
			rj = len(TacticOrder) + 1
		}
		if ri != rj {
			return ri < rj
		}
		return ids[i] < ids[j]
	})
}
