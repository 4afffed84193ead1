{{/* The name of every object; deploy/'s names by default. */}}
{{- define "apig.fullname" -}}
{{- .Values.fullnameOverride -}}
{{- end -}}

{{/*
The labels deploy/ gives every object (its kustomization's labels), then
commonLabels. No Helm-specific labels: the default render stays the same
objects as deploy/, and Helm tracks its objects by annotations anyway.
*/}}
{{- define "apig.labels" -}}
app.kubernetes.io/name: apig-cert-operator
app.kubernetes.io/part-of: apig-cert-operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* What selects the operator pods (never changes on upgrade: selectors are immutable). */}}
{{- define "apig.selectorLabels" -}}
app.kubernetes.io/name: apig-cert-operator
app.kubernetes.io/component: controller
{{- end -}}

{{/* metadata.annotations from commonAnnotations, when there are any. */}}
{{- define "apig.annotations" -}}
{{- with .Values.commonAnnotations -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "apig.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The rules of deploy/cluster-rbac.yaml (explained there), for the ClusterRole or the namespaced Role. */}}
{{- define "apig.rules" -}}
rules:
  - apiGroups: [apig.certsync.io]
    resources: [apigcertificates]
    verbs: [get, list, watch, patch]
  - apiGroups: [apig.certsync.io]
    resources: [apigcertificates/status]
    verbs: [patch]
  {{- if .Values.namespaced }}
  - apiGroups: [apig.certsync.io]
    resources: [apigproviders]
    verbs: [list, watch]
  - apiGroups: [apig.certsync.io]
    resources: [apigproviders/status]
    verbs: [patch]
  {{- else }}
  - apiGroups: [apig.certsync.io]
    resources: [apigproviders, clusterapigproviders]
    verbs: [list, watch]
  - apiGroups: [apig.certsync.io]
    resources: [apigproviders/status, clusterapigproviders/status]
    verbs: [patch]
  {{- end }}
  - apiGroups: ['']
    resources: [secrets]
    verbs: [get, list, watch]
  - apiGroups: ['']
    resources: [configmaps]
    verbs: [get, list, watch]
  - apiGroups: ['']
    resources: [events]
    verbs: [create]
{{- end -}}

{{/* The *_FILE variables for the credential keys; (list mountPath keys). */}}
{{- define "apig.credentialFiles" -}}
{{- $path := index . 0 -}}
{{- range index . 1 }}
- name: {{ . }}_FILE
  value: {{ $path }}/{{ . }}
{{- end }}
{{- end -}}

{{/*
The volume source of the APIG_CA_FILE bundle (apigCA), its key mounted as
ca.crt; empty when neither a ConfigMap nor a Secret is named.
*/}}
{{- define "apig.caSource" -}}
{{- $items := list (dict "key" .Values.apigCA.key "path" "ca.crt") -}}
{{- if .Values.apigCA.configMapName -}}
configMap:
  name: {{ .Values.apigCA.configMapName }}
  items: {{ toJson $items }}
{{- else if .Values.apigCA.secretName -}}
secret:
  secretName: {{ .Values.apigCA.secretName }}
  items: {{ toJson $items }}
{{- end -}}
{{- end -}}
