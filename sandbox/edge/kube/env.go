package kube

import (
	"context"
	"fmt"
)

// ContainerEnv builds a container's environment from the cluster as the kubelet would: every
// envFrom source in order, then env entries, later ones winning. A missing Secret, ConfigMap or
// key that is not optional is an error (the kubelet would not start the container).
func (c *Client) ContainerEnv(ctx context.Context, namespace string, ctr *Container) (map[string]string, error) {
	env := map[string]string{}
	for _, src := range ctr.EnvFrom {
		switch {
		case src.SecretRef != nil:
			s, err := c.Secret(ctx, namespace, src.SecretRef.Name)
			if err != nil {
				if IsNotFound(err) && optional(src.SecretRef.Optional) {
					continue
				}
				return nil, refError("secret", namespace, src.SecretRef.Name, ctr.Name, "envFrom", err)
			}
			for k, v := range s.Data {
				env[src.Prefix+k] = string(v)
			}
		case src.ConfigMapRef != nil:
			m, err := c.ConfigMap(ctx, namespace, src.ConfigMapRef.Name)
			if err != nil {
				if IsNotFound(err) && optional(src.ConfigMapRef.Optional) {
					continue
				}
				return nil, refError("configmap", namespace, src.ConfigMapRef.Name, ctr.Name, "envFrom", err)
			}
			for k, v := range m.Data {
				env[src.Prefix+k] = v
			}
		}
	}
	for _, e := range ctr.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, err := c.Secret(ctx, namespace, ref.Name)
			if err != nil {
				if IsNotFound(err) && optional(ref.Optional) {
					continue
				}
				return nil, refError("secret", namespace, ref.Name, ctr.Name, "env "+e.Name, err)
			}
			v, ok := s.Data[ref.Key]
			if !ok {
				if optional(ref.Optional) {
					continue
				}
				return nil, fmt.Errorf("secret %s/%s (env %s of container %s) has no key %q", namespace, ref.Name, e.Name, ctr.Name, ref.Key)
			}
			env[e.Name] = string(v)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			m, err := c.ConfigMap(ctx, namespace, ref.Name)
			if err != nil {
				if IsNotFound(err) && optional(ref.Optional) {
					continue
				}
				return nil, refError("configmap", namespace, ref.Name, ctr.Name, "env "+e.Name, err)
			}
			v, ok := m.Data[ref.Key]
			if !ok {
				if optional(ref.Optional) {
					continue
				}
				return nil, fmt.Errorf("configmap %s/%s (env %s of container %s) has no key %q", namespace, ref.Name, e.Name, ctr.Name, ref.Key)
			}
			env[e.Name] = v
		}
		// Field and resource references (downward API) carry nothing the app's checks use.
	}
	return env, nil
}

func optional(b *bool) bool { return b != nil && *b }

func refError(kind, namespace, name, container, use string, err error) error {
	if IsNotFound(err) {
		return fmt.Errorf("%s %s/%s (%s of container %s) not found", kind, namespace, name, use, container)
	}
	return fmt.Errorf("%s %s/%s (%s of container %s): %w", kind, namespace, name, use, container, err)
}
