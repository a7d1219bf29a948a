//go:build !lambda

package localstate

import _ "modernc.org/sqlite" // registers the "sqlite" driver for local builds only
