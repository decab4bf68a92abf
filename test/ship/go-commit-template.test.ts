// Flux messageTemplates → commitMessage. Templates from Flux's docs
// (fluxcd.io/flux/components/image/imageupdateautomations/#message-template, v1 and v1beta1 guides)
// and the image-automation-controller README; each output is rendered through tagpilot's own
// template engine on sample changes to show what the commit says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCommitTemplate } from '../../src/git/commit-template.js';
import { convertGoCommitTemplate } from '../../src/import/go-commit-template.js';

const context = { name: 'flux-system', namespace: 'flux-system', values: { cluster: 'prod' } };
const changes = [
  { file: 'apps/a.yaml', policy: 'flux-system:app', repository: 'ghcr.io/acme/app', from: '1.0.0', to: '1.1.0' },
  { file: 'apps/b.yaml', policy: 'flux-system:web', repository: 'ghcr.io/acme/web', from: '2.0.0', to: '2.1.0' },
];
const images = [
  { repository: 'ghcr.io/acme/app', tag: '1.1.0' },
  { repository: 'ghcr.io/acme/web', tag: '2.1.0' },
];

describe('convertGoCommitTemplate: converted', () => {
  const cases: Array<{ source: string; go: string; rendered: string }> = [
    {
      source: 'flux bootstrap guide',
      go: 'Automated image update\n\n{{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}\n{{ end }}',
      rendered: 'Automated image update\n\n1.0.0 -> 1.1.0\n2.0.0 -> 2.1.0\n',
    },
    {
      source: 'Flux docs, automation object',
      go: 'Automated image update\n\nAutomation name: {{ .AutomationObject }}\n',
      rendered: 'Automated image update\n\nAutomation name: flux-system/flux-system\n',
    },
    {
      source: 'Flux docs, print/println one-liner',
      go: '{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}',
      rendered: '1.0.0 -> 1.1.0\n2.0.0 -> 2.1.0\n',
    },
    {
      source: 'Flux docs, range with variables and trim markers',
      go: 'Update\n{{- range $_, $change := .Changed.Changes }}\n- {{ $change.OldValue }} -> {{ $change.NewValue }}\n{{- end }}',
      rendered: 'Update\n- 1.0.0 -> 1.1.0\n- 2.0.0 -> 2.1.0',
    },
    {
      source: 'v1beta1 guide, .Updated.Images',
      go: 'Update images\n\n{{range .Updated.Images}}{{println .}}{{end}}',
      rendered: 'Update images\n\nghcr.io/acme/app:1.1.0\nghcr.io/acme/web:2.1.0\n',
    },
    {
      source: 'Flux docs, messageTemplateValues',
      go: 'Automated image update by Flux for cluster {{ .Values.cluster }}.',
      rendered: 'Automated image update by Flux for cluster prod.',
    },
  ];
  for (const c of cases) {
    it(c.source, () => {
      const converted = convertGoCommitTemplate(c.go, context);
      assert.ok('template' in converted, JSON.stringify(converted));
      assert.equal(compileCommitTemplate(converted.template).render({ automation: 'flux-system', changes, images }), c.rendered);
    });
  }
});

describe('convertGoCommitTemplate: reported, not guessed', () => {
  const cases: Array<{ source: string; go: string; problem: RegExp }> = [
    { source: 'Flux docs, files', go: '{{ range $filename, $_ := .Changed.FileChanges -}}\n- {{ $filename }}\n{{ end -}}', problem: /\.Changed\.FileChanges/ },
    { source: 'Flux docs, objects', go: '{{ range $resource, $changes := .Changed.Objects -}}{{ $resource.Kind }}{{ end }}', problem: /\.Changed\.Objects/ },
    { source: 'Flux docs, sprig functions', go: '{{ .AutomationObject | lower }}', problem: /lower/ },
    { source: 'the setter', go: '{{ range .Changed.Changes }}{{ .Setter }}{{ end }}', problem: /\.Setter/ },
    { source: 'an unknown value', go: '{{ .Values.missing }}', problem: /\.Values\.missing/ },
    { source: 'an unclosed range', go: '{{ range .Changed.Changes }}x', problem: /no \{\{ end \}\}/ },
  ];
  for (const c of cases) {
    it(c.source, () => {
      const converted = convertGoCommitTemplate(c.go, context);
      assert.ok('problem' in converted, JSON.stringify(converted));
      assert.match(converted.problem, c.problem);
    });
  }
});
