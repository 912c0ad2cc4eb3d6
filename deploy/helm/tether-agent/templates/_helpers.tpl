{{/* The release's full name: the release name when it already says tether-agent, else "<release>-tether-agent". */}}
{{- define "tether-agent.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select this release's pods; never change them, Deployments cannot. */}}
{{- define "tether-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tether-agent.labels" -}}
{{ include "tether-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: tether
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tether-agent.serviceAccountName" -}}
{{- default (include "tether-agent.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "tether-agent.stateSecretName" -}}
{{- default (printf "%s-state" (include "tether-agent.fullname" .)) .Values.stateSecret.name -}}
{{- end -}}

{{- define "tether-agent.pskSecretName" -}}
{{- default (printf "%s-psk" (include "tether-agent.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "tether-agent.pskSecretKey" -}}
{{- if .Values.existingSecret -}}{{ .Values.existingSecretKey }}{{- else -}}psk{{- end -}}
{{- end -}}

{{/* The agent values keys the agent applies, as Helm's layers merged them. */}}
{{- define "tether-agent.agentValues" -}}
{{- pick .Values "logLevel" "relay" "persistentKeepalive" "mtu" "stunServers" "expose" "forward" | toYaml -}}
{{- end -}}
