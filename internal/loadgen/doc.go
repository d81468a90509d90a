// Package loadgen is the traffic generator behind `cbec demo` and
// `cbec bench`: it drives a cbec server over HTTP exactly as enterprises do.
//
// A run registers its own enterprises with signing certificates (contract
// §2), uploads the reference data its goods need (§6, §7, and bonded account
// books), then sends declarations — order CEB311 by the platform, payment
// CEB411 by the payment firm, waybill CEB511 by the carrier and signed
// inventory CEB621 by the declaring agent — to POST /api/v1/ceb (§3), and
// follows each agent's receipt feed (§4) until every inventory has a final
// status. Declarations are drawn deterministically from a seed: buyers with
// valid resident ID numbers, goods from the starter tariff with their exact
// tax, direct and bonded trade, one- and 100-document messages, and bad
// variants that each break exactly one clearance rule.
//
// Messages are built and signed before the clock starts, so the timed phase
// costs the client little; statistics keep every sample (exact
// percentiles); money is exact fen throughout. The generated people are fake
// but are treated as personal data: they go into messages, never into logs
// or reports. A run only ever contacts the server URL it is given and always
// ends by itself. Alternate drives several targets taking turns in short
// slices (the ceiling and the server of `cbec bench --ceiling`), each set up
// once and reported over its own slices.
package loadgen
