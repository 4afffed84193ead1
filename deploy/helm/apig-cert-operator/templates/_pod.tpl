{{/*
The operator pod's env entries, volume mounts and volumes that the chart
itself sets (deploy/base/deployment.yaml explains each): deployment.yaml adds
extraEnv, extraVolumeMounts and extraVolumes after them, refusing an entry
that collides with one of these (server-side apply refuses two list entries
with the same key, with a message that does not name the value).
*/}}
{{- define "apig.credentialsPath" -}}/etc/apig-cert-operator/credentials{{- end -}}
{{- define "apig.idTokenPath" -}}/var/run/secrets/apig-cert-operator/id-token{{- end -}}
{{- define "apig.caPath" -}}/etc/apig-cert-operator/ca{{- end -}}

{{- define "apig.env" -}}
{{- $keyless := eq .Values.auth.method "keyless" }}
{{- $keys := dict
  "aksk" (list "HUAWEICLOUD_SDK_AK" "HUAWEICLOUD_SDK_SK")
  "securityToken" (list "HUAWEICLOUD_SDK_AK" "HUAWEICLOUD_SDK_SK" "HUAWEICLOUD_SDK_SECURITY_TOKEN")
  "iamPassword" (list "HUAWEICLOUD_IAM_ENDPOINT" "HUAWEICLOUD_DOMAIN_NAME" "HUAWEICLOUD_USERNAME" "HUAWEICLOUD_PASSWORD" "HUAWEICLOUD_PROJECT_NAME") }}
{{- $caSource := include "apig.caSource" . | fromYaml }}
{{- /* First, as kustomize's strategic merge of components/iam-password orders them, so the two renders stay equal. */}}
{{- if eq .Values.auth.method "iamPassword" }}
{{- include "apig.credentialFiles" (list (include "apig.credentialsPath" .) (get $keys .Values.auth.method)) }}
{{- end }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: LEADER_ELECT
  value: {{ .Values.leaderElection.enabled | toString | quote }}
{{- /* Only when changed, so the default render stays deploy/'s. */}}
{{- if ne .Values.leaderElection.id "apig-cert-operator-leader" }}
- name: LEADER_ELECTION_ID
  value: {{ .Values.leaderElection.id | quote }}
{{- end }}
- name: HTTP_PORT
  value: '8080'
{{- if $keyless }}
{{- with .Values.auth.keyless }}
- name: HUAWEICLOUD_SDK_IDP_ID
  value: {{ .idpId | quote }}
- name: HUAWEICLOUD_SDK_ID_TOKEN_FILE
  value: {{ include "apig.idTokenPath" $ }}/token
- name: HUAWEICLOUD_IAM_ENDPOINT
  value: {{ .iamEndpoint | quote }}
{{- end }}
{{- else if ne .Values.auth.method "iamPassword" }}
{{- include "apig.credentialFiles" (list (include "apig.credentialsPath" .) (get $keys .Values.auth.method)) }}
{{- end }}
{{- if $caSource }}
- name: APIG_CA_FILE
  value: {{ include "apig.caPath" . }}/ca.crt
{{- end }}
{{- if .Values.namespaced }}
{{- /* A container env entry wins over the ConfigMap's. */}}
- name: WATCH_NAMESPACES
  value: $(POD_NAMESPACE)
{{- end }}
{{- end -}}

{{- define "apig.volumeMounts" -}}
{{- $keyless := eq .Values.auth.method "keyless" }}
{{- $caSource := include "apig.caSource" . | fromYaml }}
{{- if $keyless }}
- name: id-token
  mountPath: {{ include "apig.idTokenPath" . }}
  readOnly: true
{{- else }}
- name: credentials
  mountPath: {{ include "apig.credentialsPath" . }}
  readOnly: true
{{- end }}
{{- if $caSource }}
- name: apig-ca
  mountPath: {{ include "apig.caPath" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "apig.volumes" -}}
{{- $keyless := eq .Values.auth.method "keyless" }}
{{- $caSource := include "apig.caSource" . | fromYaml }}
{{- if $keyless }}
- name: id-token
  projected:
    defaultMode: 288
    sources:
      - serviceAccountToken:
          audience: {{ .Values.auth.keyless.audience | quote }}
          expirationSeconds: {{ .Values.auth.keyless.expirationSeconds }}
          path: token
{{- else }}
- name: credentials
  secret:
    secretName: {{ .Values.credentials.secretName }}
    # 0440 in octal, written in decimal: YAML 1.1 and 1.2 parsers read a
    # leading-zero number differently.
    defaultMode: 288
{{- end }}
{{- with $caSource }}
- name: apig-ca
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Fails naming the value when an extra entry has the key of one of the
chart's; (list valueName key chartEntriesYaml extraEntries).
*/}}
{{- define "apig.refuseTaken" -}}
{{- $value := index . 0 }}
{{- $key := index . 1 }}
{{- $taken := list }}
{{- range fromYamlArray (index . 2) }}
{{- $taken = append $taken (get . $key) }}
{{- end }}
{{- range $i, $entry := index . 3 }}
{{- if has (get $entry $key) $taken }}
{{- fail (printf "%s[%d].%s %q is set by the chart already: change it through the chart's values, where one covers it" $value $i $key (get $entry $key)) }}
{{- end }}
{{- end }}
{{- end -}}
