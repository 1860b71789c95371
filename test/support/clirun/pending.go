package clirun

import "encoding/json"

// PendingOperation is one entry of a state's pending_operations: what the engine had started
// ("creating", "updating", "deleting") when the run ended, and on which resource.
type PendingOperation struct {
	Type string
	URN  string
}

// PendingOperations reads the pending operations of `pulumi stack export` output.
func PendingOperations(export string) ([]PendingOperation, error) {
	var dep struct {
		Deployment struct {
			Pending []struct {
				Type     string `json:"type"`
				Resource struct {
					URN string `json:"urn"`
				} `json:"resource"`
			} `json:"pending_operations"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(export), &dep); err != nil {
		return nil, err
	}
	ops := make([]PendingOperation, 0, len(dep.Deployment.Pending))
	for _, p := range dep.Deployment.Pending {
		ops = append(ops, PendingOperation{Type: p.Type, URN: p.Resource.URN})
	}
	return ops, nil
}
