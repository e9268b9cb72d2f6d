/**
 * Pod spec checks the shim relies on (k/k:pkg/apis/core/validation/validation.go ValidatePodSpec,
 * ValidatePodUpdate): containers present, named and with an image; enumerations in range; and
 * a pod's spec frozen after create but for images, activeDeadlineSeconds and added tolerations.
 */
import { clone, jsonEqual, objectsAt } from '../json.js';
import type { FieldCause, JsonObject } from '../types.js';
import { fieldError } from './field-errors.js';
import { dns1123Label } from './names.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/** ValidatePodSpec's share: path is 'spec' for pods, 'spec.template.spec' for templates. */
export function validatePodSpec(
  spec: JsonObject,
  path: string,
  restartPolicies = RESTART_POLICIES,
): FieldCause[] {
  const errs: FieldCause[] = [];
  const containers = objectsAt(spec, 'containers');
  if (containers.length === 0) errs.push(fieldError.required(`${path}.containers`));
  const seen = new Set<string>();
  for (const list of ['initContainers', 'containers']) {
    objectsAt(spec, list).forEach((container, i) => {
      const at = `${path}.${list}[${i}]`;
      const name = typeof container.name === 'string' ? container.name : '';
      if (!name) errs.push(fieldError.required(`${at}.name`));
      else {
        for (const msg of dns1123Label(name)) errs.push(fieldError.invalid(`${at}.name`, name, msg));
        if (seen.has(name)) errs.push(fieldError.duplicate(`${at}.name`, name));
        seen.add(name);
      }
      if (typeof container.image !== 'string' || container.image === '')
        errs.push(fieldError.required(`${at}.image`));
      objectsAt(container, 'ports').forEach((port, j) => {
        const value = port.containerPort;
        if (typeof value !== 'number' || value < 1 || value > 65535) {
          errs.push(
            fieldError.invalid(
              `${at}.ports[${j}].containerPort`,
              value ?? 0,
              'must be between 1 and 65535, inclusive',
            ),
          );
        }
      });
    });
  }
  if (spec.restartPolicy !== undefined && !restartPolicies.includes(String(spec.restartPolicy))) {
    errs.push(fieldError.notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(String(spec.dnsPolicy))) {
    errs.push(fieldError.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  }
  return errs;
}

/** The one Forbidden cause ValidatePodUpdate gives for any other spec change (its Go diff left out). */
const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** ValidatePodUpdate's spec rule: the new spec, with the allowed changes undone, must equal the old. */
export function validatePodUpdate(spec: JsonObject, oldSpec: JsonObject): FieldCause[] {
  const mutated = clone(spec);
  for (const list of ['containers', 'initContainers']) {
    const oldList = objectsAt(oldSpec, list);
    objectsAt(mutated, list).forEach((container, i) => {
      if (oldList[i]) container.image = oldList[i].image;
    });
  }
  mutated.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  const oldTolerations = objectsAt(oldSpec, 'tolerations');
  const newTolerations = objectsAt(mutated, 'tolerations');
  // only additions: every old toleration is still there
  if (oldTolerations.every((t) => newTolerations.some((n) => jsonEqual(n, t))))
    mutated.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && mutated.terminationGracePeriodSeconds === 1) {
    mutated.terminationGracePeriodSeconds = oldGrace;
  }
  // scheduling gates may only be removed
  const oldGates = objectsAt(oldSpec, 'schedulingGates');
  if (objectsAt(mutated, 'schedulingGates').every((g) => oldGates.some((o) => jsonEqual(o, g)))) {
    mutated.schedulingGates = oldSpec.schedulingGates;
  }
  for (const key of Object.keys(mutated)) if (mutated[key] === undefined) delete mutated[key];
  return jsonEqual(mutated, oldSpec) ? [] : [fieldError.forbidden('spec', POD_UPDATE_FORBIDDEN)];
}
