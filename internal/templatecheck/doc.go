// Package templatecheck loads the project's CloudFormation/SAM templates as
// plain Go values, so tests can check them (against the SAM JSON schema and the
// CloudFormation resource specification) and build local resources, such as
// DynamoDB tables, from the same definitions the stack deploys.
//
// The package's tests are the template checks themselves: they validate
// template.yaml and templates/*.yaml at the repository root.
package templatecheck
