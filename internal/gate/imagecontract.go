package gate

import (
	"context"

	"github.com/coulomb-social/inter-hub-deploy/internal/imagecontract"
)

// ImageContract passes when the image ref (by digest) holds what the chart runs in it, read
// from the registry with the account.
func ImageContract(enabled bool, ref string, acct imagecontract.Account, c imagecontract.Contract) Check {
	return Check{Name: "imageContract", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		if err := imagecontract.Verify(ctx, ref, acct, c); err != nil {
			return "", err
		}
		return "the image " + ref + " holds what the chart runs in it", nil
	}}
}
