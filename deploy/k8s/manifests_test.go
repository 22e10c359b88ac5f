package k8s_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// objects are the decoded manifests by kind and name.
type objects struct {
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	cronJobs     map[string]*batchv1.CronJob
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	pdbs         map[string]*policyv1.PodDisruptionBudget
	pvcs         map[string]*corev1.PersistentVolumeClaim
}

// decodeAll decodes every document of every manifest into its real API
// type, refusing unknown fields (a misspelt or misplaced field fails).
func decodeAll(t *testing.T) objects {
	t.Helper()
	o := objects{map[string]*appsv1.Deployment{}, map[string]*appsv1.StatefulSet{}, map[string]*batchv1.CronJob{},
		map[string]*corev1.Service{}, map[string]*corev1.ConfigMap{}, map[string]*policyv1.PodDisruptionBudget{},
		map[string]*corev1.PersistentVolumeClaim{}}
	files, _ := filepath.Glob("*.yaml")
	if len(files) < 4 {
		t.Fatalf("manifests: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct{ Name string }
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var obj any
			name := head.Metadata.Name
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				o.deployments[name] = &appsv1.Deployment{}
				obj = o.deployments[name]
			case "apps/v1 StatefulSet":
				o.statefulSets[name] = &appsv1.StatefulSet{}
				obj = o.statefulSets[name]
			case "batch/v1 CronJob":
				o.cronJobs[name] = &batchv1.CronJob{}
				obj = o.cronJobs[name]
			case "v1 Service":
				o.services[name] = &corev1.Service{}
				obj = o.services[name]
			case "v1 ConfigMap":
				o.configMaps[name] = &corev1.ConfigMap{}
				obj = o.configMaps[name]
			case "v1 PersistentVolumeClaim":
				o.pvcs[name] = &corev1.PersistentVolumeClaim{}
				obj = o.pvcs[name]
			case "policy/v1 PodDisruptionBudget":
				o.pdbs[name] = &policyv1.PodDisruptionBudget{}
				obj = o.pdbs[name]
			default:
				t.Fatalf("%s document %d: unexpected %s %s", f, i, head.APIVersion, head.Kind)
			}
			if name == "" {
				t.Fatalf("%s document %d: no name", f, i)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Fatalf("%s document %d (%s %s): %v", f, i, head.Kind, name, err)
			}
		}
	}
	return o
}

func selects(sel map[string]string, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func TestManifests(t *testing.T) {
	o := decodeAll(t)

	nats := o.statefulSets["nats"]
	if nats == nil || *nats.Spec.Replicas != 3 || nats.Spec.ServiceName != "nats" || o.services["nats"] == nil {
		t.Fatal("NATS must be a 3-node StatefulSet with its headless service")
	}
	if a := nats.Spec.Template.Spec.Affinity; a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Error("NATS pods need required anti-affinity (one per node, or R3 is not fault tolerant)")
	}
	conf := o.configMaps["nats-config"].Data["nats.conf"]
	for _, want := range []string{"jetstream", "nats-0.nats:6222", "nats-1.nats:6222", "nats-2.nats:6222"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats.conf lacks %s", want)
		}
	}
	if p := o.pdbs["nats"]; p == nil || p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() != 1 {
		t.Error("NATS needs a PodDisruptionBudget of maxUnavailable 1")
	}

	rep := o.deployments["grunndata"]
	if rep == nil || *rep.Spec.Replicas < 2 {
		t.Fatal("the replicas must be a Deployment of at least 2")
	}
	pod := rep.Spec.Template.Spec
	c := pod.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Error("replica readiness must be /readyz")
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("replica liveness must be /healthz")
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"serve", "--nats=$(NATS_URL)", "--nats-replicas=3", "--replica-id=$(POD_NAME)",
		"--jwks=$(JWKS_URL)", "--issuer=$(ISSUER)", "--audience=$(AUDIENCE)"} {
		if !strings.Contains(args, want) {
			t.Errorf("replica args lack %s: %s", want, args)
		}
	}
	cm := o.configMaps["grunndata-config"]
	for _, k := range []string{"NATS_URL", "JWKS_URL", "ISSUER", "AUDIENCE"} {
		if cm == nil || cm.Data[k] == "" {
			t.Errorf("grunndata-config lacks %s", k)
		}
	}
	if a := pod.Affinity; a == nil || a.PodAntiAffinity == nil {
		t.Error("replicas need anti-affinity")
	}
	pdb := o.pdbs["grunndata"]
	if pdb == nil || !selects(pdb.Spec.Selector.MatchLabels, rep.Spec.Template.Labels) {
		t.Error("the replicas' PodDisruptionBudget must select them")
	}
	if s := o.services["grunndata"]; s == nil || !selects(s.Spec.Selector, rep.Spec.Template.Labels) {
		t.Error("the grunndata service must select the replicas")
	}

	prod := o.cronJobs["grunndata-producer"]
	if prod == nil {
		t.Fatal("no producer CronJob")
	}
	js := prod.Spec.JobTemplate.Spec.Template.Spec
	if len(js.InitContainers) != 1 || js.InitContainers[0].Args[0] != "load" || js.Containers[0].Args[0] != "publish" {
		t.Error("the producer must load (init container) then publish")
	}

	// Every grunndata pod runs as non-root with a read-only root.
	for name, spec := range map[string]corev1.PodSpec{"replicas": pod, "producer": js, "nats": nats.Spec.Template.Spec} {
		if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot must be set", name)
		}
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s/%s: read-only root and no privilege escalation", name, c.Name)
			}
		}
	}
}

// TestDockerfile: multi-stage, a static binary, a non-root user.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Count(s, "\nFROM ") < 1 || !strings.HasPrefix(strings.TrimSpace(s[strings.Index(s, "FROM "):]), "FROM golang:") {
		t.Error("the Dockerfile must build in a golang stage")
	}
	for _, want := range []string{"CGO_ENABLED=0", "FROM gcr.io/distroless/static", "USER 65532:65532", "COPY --from=build"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}
