// Package tags finds the resources a CloudTrail record touched and the tags those resources
// carry, so a change can be attributed to a project, cost centre or owner.
//
// Resources come from the record's resources[] ARNs when CloudTrail lists them, otherwise from
// the request and response of the common services (EC2, S3, RDS, ELB, Lambda, DynamoDB, KMS,
// SNS, SQS, IAM). Tags come, in order of trust, from the request itself (a create call carries
// them), a short-lived in-memory cache, the live APIs (the Resource Groups Tagging API, and IAM's
// own tag calls for users and roles, in member accounts through an assumed role), and finally
// the last tags known for the resource, so a delete is still attributed after the resource and
// its tags are gone.
package tags
