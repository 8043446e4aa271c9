// Printer description and status attributes [RFC 8011 §5.4; PWG 5100.14 §5.1,
// §5.2; PWG 5100.7 §6.3 media-col-database], built from the cloud printer's
// CDD (what it can do) and CDS (how it is now). Get-Printer-Attributes
// answers with these, filtered by requested-attributes.
import { attr, ipp, type Collection, type IppAttribute } from './codec.ts';
import { capabilitiesOf, QUALITIES, type Capabilities } from './capabilities.ts';
import { CONVERSIONS } from './convert.ts';
import type { IppPrinter } from './deps.ts';
import type { IppMedia } from './media.ts';
import { OPERATION_NAMES } from './status.ts';

export interface PrinterContext {
  /** ipp:// and ipps:// URIs of the printer, ipp first. */
  uris: string[];
  /** printer-icons: the PNG at ICON_PATH on the listener the client used. */
  icon: string;
  /** The console page of the printer (printer-more-info). */
  moreInfo: string;
  /** false when the device is known to be off the push channel. */
  connected: boolean | undefined;
  queuedJobs: number;
  /** multiple-operation-time-out, in seconds. */
  jobTimeout: number;
  /** Seconds, for printer-up-time and the *-time attributes (Unix time, as CUPS does). */
  now: number;
}

/** Formats a printer may take natively; URF only where its CDD names it (no converter reads it). */
const IPP_FORMATS = ['application/pdf', 'image/pwg-raster', 'image/urf', 'image/jpeg', 'application/postscript', 'text/plain'];

/** The formats the printer's CDD accepts as they are. */
export function nativeFormats(caps: Capabilities): string[] {
  const listed = caps.contentTypes;
  const any = listed.length === 0 || listed.includes('*/*');
  return IPP_FORMATS.filter((format) => listed.includes(format) || (any && format !== 'image/urf') || (format === 'image/jpeg' && listed.includes('image/*')));
}

/** document-format-supported: the native formats, those converted to one of them (convert.ts), and auto-detection. */
export function documentFormats(caps: Capabilities): string[] {
  const native = nativeFormats(caps);
  const converted = Object.keys(CONVERSIONS).filter((format) => !native.includes(format) && native.includes(CONVERSIONS[format]!));
  return ['application/octet-stream', ...native, ...converted];
}

function mediaCol(media: IppMedia, margins: number): Collection {
  return {
    'media-size': [ipp.collection({ 'x-dimension': [ipp.int(media.x)], 'y-dimension': [ipp.int(media.y)] })],
    'media-bottom-margin': [ipp.int(margins)],
    'media-left-margin': [ipp.int(margins)],
    'media-right-margin': [ipp.int(margins)],
    'media-top-margin': [ipp.int(margins)],
    'media-source': [ipp.keyword('auto')],
    'media-type': [ipp.keyword('stationery')],
  };
}

/** Margins the CDD states (standard option), in hundredths of a millimetre; 1/4" otherwise. */
function marginsOf(cdd: Record<string, unknown>): number {
  const options = (cdd.margins as { option?: Array<Record<string, unknown>> } | undefined)?.option ?? [];
  const standard = options.find((o) => o.type === 'STANDARD') ?? options[0];
  const microns = standard ? Math.max(Number(standard.top_microns ?? 0), Number(standard.left_microns ?? 0)) : NaN;
  return Number.isFinite(microns) && microns >= 0 ? Math.round(microns / 10) : 635;
}

/** printer-state [RFC 8011 §5.4.11] and printer-state-reasons [§5.4.12, PWG 5100.9] from the CDS. */
export function printerStatus(cds: Record<string, unknown>, connected: boolean | undefined): { state: number; reasons: string[]; message: string } {
  const reasons: string[] = [];
  const items = (key: string) => ((cds[key] as { item?: Array<Record<string, unknown>> } | undefined)?.item ?? []);
  for (const tray of items('input_tray_state')) {
    if (tray.state === 'EMPTY') reasons.push('media-empty-error');
    else if (tray.state === 'OPEN') reasons.push('input-tray-missing-error');
  }
  for (const marker of items('marker_state')) {
    if (marker.state === 'EXHAUSTED') reasons.push('toner-empty-error');
    else if (marker.state === 'REMOVED') reasons.push('marker-supply-missing-error');
    else if (typeof marker.level_percent === 'number' && marker.level_percent > 0 && marker.level_percent <= 10) reasons.push('toner-low-report');
  }
  for (const cover of items('cover_state')) if (cover.state === 'OPEN') reasons.push('cover-open-error');
  for (const path of items('media_path_state')) if (path.state === 'MEDIA_JAM') reasons.push('media-jam-error');
  const messages = items('vendor_state').filter((v) => v.state === 'ERROR').map((v) => String(v.description ?? ''));
  let state = cds.state === 'PROCESSING' ? 4 : cds.state === 'STOPPED' ? 5 : 3;
  if (connected === false) {
    reasons.push('offline-report');
    state = 5;
  }
  if (state === 5 && !reasons.some((r) => r.endsWith('-error'))) reasons.push(connected === false ? 'shutdown-report' : 'other-error');
  const unique = [...new Set(reasons)];
  return { state, reasons: unique.length ? unique : ['none'], message: connected === false ? 'The printer is not connected' : messages.filter(Boolean).join('; ') || (state === 5 ? 'Stopped' : state === 4 ? 'Printing' : 'Ready') };
}

/** A printer-device-id [IEEE 1284] from the make, model and formats. */
function deviceId(printer: IppPrinter, formats: string[]): string {
  const clean = (text: string) => text.replace(/[;:]/g, ' ').slice(0, 100);
  const commands = formats.map((f) => ({ 'application/pdf': 'PDF', 'image/pwg-raster': 'PWGRaster', 'image/urf': 'URF', 'image/jpeg': 'JPEG', 'application/postscript': 'PS' })[f]).filter(Boolean);
  return `MFG:${clean(printer.manufacturer || 'OpenCloudPrint')};MDL:${clean(printer.model || 'Cloud Printer')};CMD:${commands.join(',')};`;
}

function uuidOf(printer: IppPrinter): string {
  const uuid = printer.uuid && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(printer.uuid) ? printer.uuid : printer.id;
  return `urn:uuid:${uuid.toLowerCase()}`;
}

/** Every printer attribute this service supports, in one list (filtering is the caller's). */
export function printerAttributes(printer: IppPrinter, context: PrinterContext): IppAttribute[] {
  const caps = capabilitiesOf(printer.cdd);
  const formats = documentFormats(caps);
  const status = printerStatus(printer.cds, context.connected);
  const margins = marginsOf(printer.cdd);
  const makeAndModel = `${printer.manufacturer ?? ''} ${printer.model ?? ''}`.trim() || 'OpenCloudPrint cloud printer';
  const configTime = Math.floor(printer.updatedAt / 1000);
  const keywords = (values: string[]) => values.map(ipp.keyword);
  const defaultMedia = caps.defaultMedia;

  const list: IppAttribute[] = [
    // RFC 8011 §5.4 printer description
    attr('printer-uri-supported', ...context.uris.map(ipp.uri)),
    attr('uri-security-supported', ...context.uris.map((uri) => ipp.keyword(uri.startsWith('ipps:') ? 'tls' : 'none'))),
    attr('uri-authentication-supported', ...context.uris.map(() => ipp.keyword('basic'))),
    attr('printer-name', ipp.name(printer.displayName.slice(0, 127))),
    attr('printer-info', ipp.text(printer.displayName.slice(0, 127))),
    attr('printer-location', ipp.text('')),
    attr('printer-more-info', ipp.uri(context.moreInfo)),
    attr('printer-make-and-model', ipp.text(makeAndModel.slice(0, 127))),
    attr('printer-device-id', ipp.text(deviceId(printer, formats))),
    attr('printer-uuid', ipp.uri(uuidOf(printer))),
    attr('printer-firmware-name', ipp.name('firmware')),
    attr('printer-firmware-string-version', ipp.text(printer.firmware ?? '')),
    attr('printer-firmware-version', ipp.octets(Buffer.from(printer.firmware ?? ''))),
    attr('printer-state', ipp.enum(status.state)),
    attr('printer-state-reasons', ...keywords(status.reasons)),
    attr('printer-state-message', ipp.text(status.message)),
    attr('printer-is-accepting-jobs', ipp.bool(true)),
    attr('queued-job-count', ipp.int(context.queuedJobs)),
    attr('printer-up-time', ipp.int(context.now)),
    attr('printer-current-time', ipp.date(new Date(context.now * 1000))),
    attr('printer-state-change-time', ipp.int(configTime)),
    attr('printer-state-change-date-time', ipp.date(new Date(configTime * 1000))),
    attr('printer-config-change-time', ipp.int(configTime)),
    attr('printer-config-change-date-time', ipp.date(new Date(configTime * 1000))),
    attr('printer-geo-location', ipp.unknown()),
    attr('printer-organization', ipp.text('')),
    attr('printer-organizational-unit', ipp.text('')),
    attr('printer-icons', ipp.uri(context.icon)),
    attr('printer-supply-info-uri', ipp.uri(context.moreInfo)),
    attr('printer-supply', ipp.octets(Buffer.from('index=1;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=-2;colorantname=black;'))),
    attr('printer-supply-description', ipp.text('Toner')),
    attr('ipp-versions-supported', ipp.keyword('1.1'), ipp.keyword('2.0')),
    attr('ipp-features-supported', ipp.keyword('ipp-everywhere')),
    attr('operations-supported', ...Object.keys(OPERATION_NAMES).map((code) => ipp.enum(Number(code)))),
    attr('charset-configured', ipp.charset('utf-8')),
    attr('charset-supported', ipp.charset('utf-8')),
    attr('natural-language-configured', ipp.language('en')),
    attr('generated-natural-language-supported', ipp.language('en')),
    attr('document-format-default', ipp.mime('application/octet-stream')),
    attr('document-format-supported', ...formats.map(ipp.mime)),
    attr('compression-supported', ipp.keyword('deflate'), ipp.keyword('gzip'), ipp.keyword('none')),
    attr('pdl-override-supported', ipp.keyword('attempted')),
    attr('job-ids-supported', ipp.bool(true)),
    attr('multiple-document-jobs-supported', ipp.bool(false)),
    attr('multiple-operation-time-out', ipp.int(context.jobTimeout)),
    attr('multiple-operation-time-out-action', ipp.keyword('abort-job')),
    attr('preferred-attributes-supported', ipp.bool(false)),
    attr('overrides-supported', ipp.keyword('document-number'), ipp.keyword('pages')),
    attr('printer-get-attributes-supported', ipp.keyword('document-format')),
    attr('which-jobs-supported', ...keywords(['completed', 'not-completed', 'all'])),
    attr('job-creation-attributes-supported', ...keywords(['copies', 'media', 'media-col', 'sides', 'print-color-mode', 'orientation-requested', 'print-quality', 'printer-resolution', 'print-scaling', 'page-ranges', 'finishings', 'output-bin', 'print-content-optimize', 'print-rendering-intent', 'job-name'])),
    attr('identify-actions-default', ipp.keyword('display')),
    attr('identify-actions-supported', ipp.keyword('display')),
    attr('job-account-id-supported', ipp.bool(false)),
    attr('job-accounting-user-id-supported', ipp.bool(false)),
    attr('color-supported', ipp.bool(caps.isColor)),
    attr('pages-per-minute', ipp.int(1)),
    ...(caps.isColor ? [attr('pages-per-minute-color', ipp.int(1))] : []),
    // Job template attributes [RFC 8011 §5.2; PWG 5100.13]
    attr('copies-default', ipp.int(1)),
    attr('copies-supported', ipp.range(1, caps.maxCopies)),
    attr('finishings-default', ipp.enum(3)),
    attr('finishings-supported', ipp.enum(3)),
    attr('job-sheets-default', ipp.keyword('none')),
    attr('job-sheets-supported', ipp.keyword('none')),
    attr('job-hold-until-default', ipp.keyword('no-hold')),
    attr('job-hold-until-supported', ipp.keyword('no-hold')),
    attr('job-priority-default', ipp.int(50)),
    attr('job-priority-supported', ipp.int(1)),
    attr('multiple-document-handling-supported', ...keywords(['separate-documents-uncollated-copies', 'separate-documents-collated-copies'])),
    attr('number-up-default', ipp.int(1)),
    attr('number-up-supported', ipp.int(1)),
    attr('orientation-requested-default', ipp.noValue()),
    attr('orientation-requested-supported', ipp.enum(3), ipp.enum(4)),
    attr('output-bin-default', ipp.keyword('face-down')),
    attr('output-bin-supported', ipp.keyword('face-down')),
    attr('page-ranges-supported', ipp.bool(true)),
    attr('print-color-mode-default', ipp.keyword(caps.defaultColorMode)),
    attr('print-color-mode-supported', ...keywords(caps.colorModes)),
    attr('print-content-optimize-default', ipp.keyword('auto')),
    attr('print-content-optimize-supported', ipp.keyword('auto')),
    attr('print-rendering-intent-default', ipp.keyword('auto')),
    attr('print-rendering-intent-supported', ipp.keyword('auto')),
    attr('print-quality-default', ipp.enum(4)),
    attr('print-quality-supported', ...QUALITIES.map(ipp.enum)),
    attr('print-scaling-default', ipp.keyword(caps.defaultScaling)),
    attr('print-scaling-supported', ...keywords(caps.scalings)),
    attr('printer-resolution-default', ipp.resolution(caps.defaultResolution.x, caps.defaultResolution.y)),
    attr('printer-resolution-supported', ...caps.resolutions.map((d) => ipp.resolution(d.x, d.y))),
    attr('sides-default', ipp.keyword(caps.defaultSides)),
    attr('sides-supported', ...keywords(caps.sides)),
    attr('feed-orientation-supported', ipp.keyword('short-edge-first')),
    attr('feed-orientation-default', ipp.keyword('short-edge-first')),
    // Media [PWG 5100.7]
    attr('media-default', defaultMedia ? ipp.keyword(defaultMedia.name) : ipp.noValue()),
    attr('media-supported', ...caps.media.map((m) => ipp.keyword(m.name))),
    attr('media-ready', ...(defaultMedia ? [ipp.keyword(defaultMedia.name)] : [ipp.noValue()])),
    attr('media-col-default', defaultMedia ? ipp.collection(mediaCol(defaultMedia, margins)) : ipp.noValue()),
    attr('media-col-ready', ...(defaultMedia ? [ipp.collection(mediaCol(defaultMedia, margins))] : [ipp.noValue()])),
    attr('media-col-database', ...caps.media.map((m) => ipp.collection(mediaCol(m, margins)))),
    attr('media-col-supported', ...keywords(['media-size', 'media-bottom-margin', 'media-left-margin', 'media-right-margin', 'media-top-margin', 'media-source', 'media-type'])),
    attr('media-size-supported', ...caps.media.map((m) => ipp.collection({ 'x-dimension': [ipp.int(m.x)], 'y-dimension': [ipp.int(m.y)] }))),
    attr('media-bottom-margin-supported', ipp.int(margins)),
    attr('media-left-margin-supported', ipp.int(margins)),
    attr('media-right-margin-supported', ipp.int(margins)),
    attr('media-top-margin-supported', ipp.int(margins)),
    attr('media-source-supported', ipp.keyword('auto')),
    attr('media-type-supported', ipp.keyword('stationery')),
    // PWG raster [PWG 5102.4]; URF for AirPrint clients
    attr('pwg-raster-document-resolution-supported', ...caps.rasterResolutions.map((r) => ipp.resolution(r.x, r.y))),
    attr('pwg-raster-document-type-supported', ...keywords(caps.rasterTypes)),
    attr('pwg-raster-document-sheet-back', ipp.keyword(caps.rasterSheetBack)),
  ];
  if (formats.includes('image/urf')) list.push(attr('urf-supported', ...keywords(urfKeywords(caps))));
  return list.filter((a) => a.values.length > 0);
}

/** The AirPrint URF capability keywords (as printers put them in TXT `URF` and `urf-supported`). */
export function urfKeywords(caps: Capabilities): string[] {
  const resolutions = [...new Set(caps.rasterResolutions.map((r) => r.x))];
  const keys = ['V1.4', 'CP1', `RS${resolutions.join('-')}`, 'W8'];
  if (caps.isColor) keys.push('SRGB24');
  if (caps.sides.includes('two-sided-long-edge')) keys.push('DM1');
  return keys;
}
