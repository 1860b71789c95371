package random

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/randgen"
)

// ID is random:index/randomId:RandomId. Every input change replaces it.
type ID struct{}

// IDArgs are the inputs.
type IDArgs struct {
	ByteLength int                `pulumi:"byteLength"`
	Keepers    *map[string]string `pulumi:"keepers,optional"`
	Prefix     *string            `pulumi:"prefix,optional"`
}

// IDState is the recorded state; every encoding carries the prefix.
type IDState struct {
	IDArgs
	Hex    string `pulumi:"hex"`
	B64Std string `pulumi:"b64Std"`
	B64URL string `pulumi:"b64Url"`
	Dec    string `pulumi:"dec"`
}

func (r *ID) Annotate(a infer.Annotator) {
	a.SetToken("index/randomId", "RandomId")
	a.Describe(&r, "Random bytes from a cryptographic source, in several encodings.")
}

func (a *IDArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.ByteLength, "The number of random bytes to produce (at least 1).")
	an.Describe(&a.Keepers, "Arbitrary values that, when changed, force new bytes.")
	an.Describe(&a.Prefix, "A string put in front of every encoding, as is.")
}

func (*ID) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[IDArgs], error) {
	args, failures, err := infer.DefaultCheck[IDArgs](ctx, req.NewInputs)
	if err == nil && len(failures) == 0 && known(req.NewInputs.Get("byteLength")) && args.ByteLength < 1 {
		failures = append(failures, checkFailure("byteLength",
			fmt.Sprintf("must be at least 1, got %d", args.ByteLength)))
	}
	return infer.CheckResponse[IDArgs]{Inputs: args, Failures: failures}, err
}

func (*ID) Create(ctx context.Context, req infer.CreateRequest[IDArgs]) (infer.CreateResponse[IDState], error) {
	if req.DryRun {
		return infer.CreateResponse[IDState]{Output: IDState{IDArgs: req.Inputs}}, nil
	}
	id, err := randgen.NewID(req.Inputs.ByteLength, nil)
	if err != nil {
		return infer.CreateResponse[IDState]{}, err
	}
	return infer.CreateResponse[IDState]{ID: id.B64URL(), Output: idState(req.Inputs, id)}, nil
}

// Read returns the state unchanged, except on import, where the ID is the
// unpadded URL-safe base64 of the bytes, optionally preceded by "prefix,".
func (*ID) Read(ctx context.Context, req infer.ReadRequest[IDArgs, IDState]) (infer.ReadResponse[IDArgs, IDState], error) {
	if req.State.B64URL != "" {
		return infer.ReadResponse[IDArgs, IDState]{ID: req.ID, Inputs: req.Inputs, State: req.State}, nil
	}
	raw := req.ID
	var args IDArgs
	if i := strings.LastIndex(raw, ","); i >= 0 {
		prefix := raw[:i]
		args.Prefix = &prefix
		raw = raw[i+1:]
	}
	id, err := randgen.ParseB64URL(raw)
	if err != nil {
		return infer.ReadResponse[IDArgs, IDState]{}, fmt.Errorf("importing RandomId %q: %w", req.ID, err)
	}
	args.ByteLength = len(id.Bytes)
	return infer.ReadResponse[IDArgs, IDState]{ID: id.B64URL(), Inputs: args, State: idState(args, id)}, nil
}

func idState(args IDArgs, id randgen.ID) IDState {
	prefix := deref(args.Prefix, "")
	return IDState{
		IDArgs: args,
		Hex:    prefix + id.Hex(),
		B64Std: prefix + id.B64Std(),
		B64URL: prefix + id.B64URL(),
		Dec:    prefix + id.Dec(),
	}
}
