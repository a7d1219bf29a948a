// Package acceptance holds tests that run several function binaries side by side on the same
// input, as a developer replays events locally, to show they agree (one record model: every
// function accepts exactly the same CloudTrail records).
package acceptance
