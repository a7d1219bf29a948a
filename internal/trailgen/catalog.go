package trailgen

// service is one AWS service as CloudTrail names it.
type service struct {
	source string // eventSource
	host   string // what sourceIPAddress / invokedBy says when the service calls
	error  string // a typical error code of the service
}

var (
	svcEC2    = service{"ec2.amazonaws.com", "ec2.amazonaws.com", "Client.InvalidInstanceID.NotFound"}
	svcS3     = service{"s3.amazonaws.com", "s3.amazonaws.com", "NoSuchKey"}
	svcIAM    = service{"iam.amazonaws.com", "iam.amazonaws.com", "NoSuchEntityException"}
	svcSTS    = service{"sts.amazonaws.com", "sts.amazonaws.com", "ExpiredTokenException"}
	svcKMS    = service{"kms.amazonaws.com", "kms.amazonaws.com", "ThrottlingException"}
	svcLambda = service{"lambda.amazonaws.com", "lambda.amazonaws.com", "ResourceNotFoundException"}
	svcCFN    = service{"cloudformation.amazonaws.com", "cloudformation.amazonaws.com", "ValidationError"}
	svcDDB    = service{"dynamodb.amazonaws.com", "dynamodb.amazonaws.com", "ConditionalCheckFailedException"}
)

var services = []service{svcEC2, svcS3, svcIAM, svcSTS, svcKMS, svcLambda, svcCFN, svcDDB}

// call is one API call shape: its request and response objects as CloudTrail records them.
// In the templates, {acct} {region} {id} {id2} {bucket} are replaced per record.
type call struct {
	service      service
	name         string
	resourceType string
	readOnly     bool
	request      string
	response     string
	resources    string // resources list entries; {type} is resourceType
}

var calls = []call{
	{svcEC2, "DescribeInstances", "", true,
		`{"instancesSet":{},"filterSet":{"items":[{"name":"instance-state-name","valueSet":{"items":[{"value":"running"},{"value":"stopped"}]}},{"name":"tag:Project","valueSet":{"items":[{"value":"payments-{id2}"}]}}]},"maxResults":1000}`,
		`null`, ``},
	{svcEC2, "RunInstances", "AWS::EC2::Instance", false,
		`{"instancesSet":{"items":[{"imageId":"ami-0{id}","minCount":1,"maxCount":1}]},"instanceType":"t3.micro","blockDeviceMapping":{},"monitoring":{"enabled":false},"disableApiTermination":false,"disableApiStop":false,"clientToken":"{id2}-{id}","tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":"build-{id2}"},{"key":"CostCentre","value":"cc-{id2}"}]}]}}`,
		`{"requestId":"{id2}-4d2a-8e6c-{id}","reservationId":"r-0{id}","ownerId":"{acct}","groupSet":{},"instancesSet":{"items":[{"instanceId":"i-0{id}","imageId":"ami-0{id}","currentInstanceBootMode":"uefi","instanceState":{"code":0,"name":"pending"},"privateDnsName":"ip-10-0-1-{id2}.{region}.compute.internal","amiLaunchIndex":0,"productCodes":{},"instanceType":"t3.micro","placement":{"availabilityZone":"{region}a","tenancy":"default"}}]}}`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:ec2:{region}:{acct}:instance/i-0{id}"}]`},
	{svcEC2, "DescribeSecurityGroups", "", true,
		`{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"sg-0{id}"}]},"filterSet":{}}`,
		`null`, ``},
	{svcS3, "GetObject", "AWS::S3::Object", true,
		`{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com","key":"reports/2026/11/{id}.parquet","x-id":"GetObject"}`,
		`null`,
		`[{"type":"{type}","ARN":"arn:aws:s3:::{bucket}/reports/2026/11/{id}.parquet"},{"accountId":"{acct}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}]`},
	{svcS3, "PutObject", "AWS::S3::Object", false,
		`{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com","key":"uploads/{id2}/{id}.json","x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:{region}:{acct}:key/{id2}-a1b2-{id}"}`,
		`{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:{region}:{acct}:key/{id2}-a1b2-{id}","x-amz-server-side-encryption":"aws:kms","x-amz-version-id":"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"}`,
		`[{"type":"{type}","ARN":"arn:aws:s3:::{bucket}/uploads/{id2}/{id}.json"},{"accountId":"{acct}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}]`},
	{svcS3, "ListObjects", "AWS::S3::Bucket", true,
		`{"list-type":"2","bucketName":"{bucket}","encoding-type":"url","max-keys":"1000","prefix":"logs/{id2}/","delimiter":"/","Host":"{bucket}.s3.{region}.amazonaws.com"}`,
		`null`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:s3:::{bucket}"}]`},
	{svcIAM, "CreateUser", "AWS::IAM::User", false,
		`{"userName":"svc-{id2}","tags":[{"key":"owner","value":"team-{id2}@example.com"}]}`,
		`{"user":{"path":"/","userName":"svc-{id2}","userId":"AIDA{id}","arn":"arn:aws:iam::{acct}:user/svc-{id2}","createDate":"Nov 20, 2026, 7:58:43 AM","tags":[{"key":"owner","value":"team-{id2}@example.com"}]}}`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:iam::{acct}:user/svc-{id2}"}]`},
	{svcIAM, "GetRole", "", true,
		`{"roleName":"deploy-{id2}"}`, `null`, ``},
	{svcSTS, "AssumeRole", "AWS::IAM::Role", false,
		`{"roleArn":"arn:aws:iam::{acct}:role/deploy-{id2}","roleSessionName":"ci-{id}","durationSeconds":3600}`,
		`{"credentials":{"accessKeyId":"ASIA{id}","sessionToken":"IQoJb3JpZ2luX2VjEHQaCXVzLWVhc3QtMSJHMEUCIQD{id}{id2}","expiration":"Nov 20, 2026, 8:58:43 AM"},"assumedRoleUser":{"assumedRoleId":"AROA{id}:ci-{id}","arn":"arn:aws:sts::{acct}:assumed-role/deploy-{id2}/ci-{id}"}}`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:iam::{acct}:role/deploy-{id2}"}]`},
	{svcKMS, "Decrypt", "AWS::KMS::Key", true,
		`{"encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:{region}:{acct}:function:orders-{id2}"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`,
		`null`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:kms:{region}:{acct}:key/{id2}-a1b2-{id}"}]`},
	{svcKMS, "GenerateDataKey", "AWS::KMS::Key", true,
		`{"keyId":"arn:aws:kms:{region}:{acct}:key/{id2}-a1b2-{id}","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::{bucket}/uploads/{id}"},"keySpec":"AES_256"}`,
		`null`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:kms:{region}:{acct}:key/{id2}-a1b2-{id}"}]`},
	{svcLambda, "Invoke", "AWS::Lambda::Function", false,
		`{"functionName":"arn:aws:lambda:{region}:{acct}:function:orders-{id2}","invocationType":"Event","logType":"None","qualifier":"$LATEST"}`,
		`null`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:lambda:{region}:{acct}:function:orders-{id2}"}]`},
	{svcCFN, "DescribeStacks", "", true,
		`{"stackName":"arn:aws:cloudformation:{region}:{acct}:stack/app-{id2}/{id}"}`, `null`, ``},
	{svcDDB, "UpdateItem", "AWS::DynamoDB::Table", false,
		`{"tableName":"orders-{id2}","key":{"pk":{"S":"order#{id}"}},"updateExpression":"SET #s = :s","conditionExpression":"attribute_exists(pk)","returnValues":"NONE"}`,
		`null`,
		`[{"accountId":"{acct}","type":"{type}","ARN":"arn:aws:dynamodb:{region}:{acct}:table/orders-{id2}"}]`},
}

var (
	roleNames    = []string{"AWSReservedSSO_AdministratorAccess_4f1e2d3c5b6a7980", "deploy-pipeline", "ReadOnly", "data-platform-etl", "OrganizationAccountAccessRole", "lambda-orders-exec"}
	sessionNames = []string{"alice@example.com", "codebuild", "i-0a1b2c3d4e5f67890", "botocore-session", "terraform"}
	userNames    = []string{"john.developer", "ci-bot", "backup-agent", "anaya"}
	regions      = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-north-1"}
	userAgents   = []string{
		"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#s3.cp",
		"Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.69",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#arm64 api/s3#1.58.2",
		"Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0",
	}
)
