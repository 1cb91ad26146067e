// A peer for the differential in tests/peers/run.sh: mints, attenuates and verifies macaroons
// with go-macaroon (gopkg.in/macaroon.v2, Debian's golang-gopkg-macaroon.v2-dev) in the V1, V2
// and V2J formats.
//
//	gomacaroon mint   FMT LOCATION KEY ID          prints the token
//	gomacaroon first  FMT TOKEN PREDICATE           prints the token with the caveat
//	gomacaroon third  FMT TOKEN LOCATION KEY CID    prints the token with the caveat
//	gomacaroon bind   FMT TOKEN DISCHARGE           prints the discharge bound to TOKEN
//	gomacaroon verify FMT TOKEN KEY NOW [exact:P | discharge:D]...
//	gomacaroon third-party-count FMT TOKEN          prints how many caveats have a vid
//
// FMT is v1, v2 or v2j. The text of v1 and v2 is base64url without padding of the binary
// form (read in either alphabet, as go-macaroon reads it); v2j is go-macaroon's V2 JSON.
// verify prints "accept" (exit 0) or "deny: REASON" (exit 1); a token that does not
// deserialize is a denial too. Any other failure prints "peer error: ..." and exits 3, so the
// driver can tell it from a denial. Besides the exact predicates, `time < N` holds when
// N > NOW. Keys and identifiers are the argument's bytes.
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/macaroon.v2"
)

const peerError = 3

func fail(format string, args ...interface{}) {
	fmt.Printf("peer error: "+format+"\n", args...)
	os.Exit(peerError)
}

func version(f string) macaroon.Version {
	switch f {
	case "v1":
		return macaroon.V1
	case "v2", "v2j":
		return macaroon.V2
	}
	fail("unknown format %q", f)
	return 0
}

func encode(f string, m *macaroon.Macaroon) string {
	if f == "v2j" {
		data, err := m.MarshalJSON()
		if err != nil {
			fail("MarshalJSON: %v", err)
		}
		return string(data)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		fail("MarshalBinary: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

func decode(f string, text string) (*macaroon.Macaroon, error) {
	var m macaroon.Macaroon
	if f == "v2j" {
		if err := m.UnmarshalJSON([]byte(text)); err != nil {
			return nil, err
		}
		return &m, nil
	}
	data, err := macaroon.Base64Decode([]byte(text))
	if err != nil {
		return nil, err
	}
	if err := m.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return &m, nil
}

func mustDecode(f string, text string) *macaroon.Macaroon {
	m, err := decode(f, text)
	if err != nil {
		fail("the token does not deserialize: %v", err)
	}
	return m
}

// timeHolds: `time < N`, N decimal without leading zeros, holds when N > now.
func timeHolds(predicate string, now uint64) bool {
	rest := strings.TrimPrefix(predicate, "time < ")
	if rest == predicate || rest == "" || (rest[0] == '0' && rest != "0") {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return err == nil && n > now
}

func verify(f string, args []string) int {
	if len(args) < 3 {
		fail("verify needs TOKEN KEY NOW")
	}
	now, err := strconv.ParseUint(args[2], 10, 64)
	if err != nil {
		fail("bad NOW %q", args[2])
	}
	m, err := decode(f, args[0])
	if err != nil {
		fmt.Printf("deny: the token does not deserialize: %v\n", err)
		return 1
	}
	exact := map[string]bool{}
	var discharges []*macaroon.Macaroon
	for _, a := range args[3:] {
		switch {
		case strings.HasPrefix(a, "exact:"):
			exact[strings.TrimPrefix(a, "exact:")] = true
		case strings.HasPrefix(a, "discharge:"):
			d, err := decode(f, strings.TrimPrefix(a, "discharge:"))
			if err != nil {
				fmt.Printf("deny: a discharge does not deserialize: %v\n", err)
				return 1
			}
			discharges = append(discharges, d)
		default:
			fail("unknown verify argument %q", a)
		}
	}
	check := func(caveat string) error {
		if exact[caveat] || timeHolds(caveat, now) {
			return nil
		}
		return fmt.Errorf("caveat %q not satisfied", caveat)
	}
	if err := m.Verify([]byte(args[1]), check, discharges); err != nil {
		fmt.Printf("deny: %v\n", err)
		return 1
	}
	fmt.Println("accept")
	return 0
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: see the comment at the top of main.go")
	}
	cmd, f, args := os.Args[1], os.Args[2], os.Args[3:]
	vers := version(f)
	switch {
	case cmd == "mint" && len(args) == 3:
		m, err := macaroon.New([]byte(args[1]), []byte(args[2]), args[0], vers)
		if err != nil {
			fail("New: %v", err)
		}
		fmt.Println(encode(f, m))
	case cmd == "first" && len(args) == 2:
		m := mustDecode(f, args[0])
		if err := m.AddFirstPartyCaveat([]byte(args[1])); err != nil {
			fail("AddFirstPartyCaveat: %v", err)
		}
		fmt.Println(encode(f, m))
	case cmd == "third" && len(args) == 4:
		m := mustDecode(f, args[0])
		if err := m.AddThirdPartyCaveat([]byte(args[2]), []byte(args[3]), args[1]); err != nil {
			fail("AddThirdPartyCaveat: %v", err)
		}
		fmt.Println(encode(f, m))
	case cmd == "bind" && len(args) == 2:
		m := mustDecode(f, args[0])
		d := mustDecode(f, args[1])
		d.Bind(m.Signature())
		fmt.Println(encode(f, d))
	case cmd == "third-party-count" && len(args) == 1:
		n := 0
		for _, c := range mustDecode(f, args[0]).Caveats() {
			if len(c.VerificationId) > 0 {
				n++
			}
		}
		fmt.Println(n)
	case cmd == "verify":
		os.Exit(verify(f, args))
	default:
		fail("unknown command %q or wrong number of arguments", cmd)
	}
}
