package tags

// rdsCreates are the RDS calls whose request tags are the new instance's or cluster's.
var rdsCreates = map[string]bool{
	"CreateDBInstance": true, "CreateDBInstanceReadReplica": true, "CreateDBCluster": true,
	"RestoreDBInstanceFromDBSnapshot": true, "RestoreDBInstanceFromS3": true, "RestoreDBInstanceToPointInTime": true,
	"RestoreDBClusterFromSnapshot": true, "RestoreDBClusterFromS3": true, "RestoreDBClusterToPointInTime": true,
}

// extractRDS reads a DB instance (responseElements.dBInstanceArn, else
// requestParameters.dBInstanceIdentifier → db:ID), else a DB cluster (dBClusterArn, else
// dBClusterIdentifier → cluster:ID), and the ARN of the tag calls (resourceName) and of the
// activity-stream calls (resourceArn).
func extractRDS(x *extraction) {
	if a := str(x.resp, "dBInstanceArn"); a != "" {
		x.addARNString(a)
	} else {
		x.addID("rds", "db:", str(x.req, "dBInstanceIdentifier"), nil)
	}
	if len(x.out) == 0 {
		if a := str(x.resp, "dBClusterArn"); a != "" {
			x.addARNString(a)
		} else {
			x.addID("rds", "cluster:", str(x.req, "dBClusterIdentifier"), nil)
		}
	}
	x.addARNString(str(x.req, "resourceName"))
	x.addARNString(str(x.req, "resourceArn"))
	if rdsCreates[x.rec.EventName] {
		x.createTags = requestTags(x.req)
	}
}
