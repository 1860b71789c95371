{{/* Labels every object carries. */}}
{{- define "inter-hub.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The Deployment's selector; never change it (it is immutable). */}}
{{- define "inter-hub.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* A pod's imagePullSecrets entries, from the list of Secret names the chart is given. */}}
{{- define "inter-hub.imagePullSecrets" -}}
{{- range . }}
{{- if not (kindIs "string" .) }}
{{- fail (printf "imagePullSecrets lists Secret names, not %v" .) }}
{{- end }}
- name: {{ . | quote }}
{{- end }}
{{- end }}

{{/* The image, which must be pinned by digest. */}}
{{- define "inter-hub.image" -}}
{{- $image := required "image is required (<registry>/<repository>@sha256:<digest>)" .Values.image -}}
{{- if not (regexMatch "@sha256:[0-9a-f]{64}$" $image) -}}
{{- fail (printf "image %q is not pinned by a sha256 digest" $image) -}}
{{- end -}}
{{ $image }}
{{- end }}
