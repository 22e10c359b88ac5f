// Package k8s holds the Kubernetes manifests of a grunndata fleet (NATS
// as a 3-node StatefulSet, the producer as a CronJob, the replicas as a
// Deployment) and the test that decodes them into the Kubernetes API types
// with unknown fields refused. See docs/fleet.md.
package k8s
