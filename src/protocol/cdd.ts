// The enumerations of the cloud device documents (GCP §f): CDD
// (capabilities), CDS (semantic_state) and CJT (ticket). The cloud validates
// against them; printers and connectors describe themselves with them.
export const CDD_ENUMS = {
  colorType: ['STANDARD_COLOR', 'STANDARD_MONOCHROME', 'CUSTOM_COLOR', 'CUSTOM_MONOCHROME', 'AUTO'],
  duplexType: ['NO_DUPLEX', 'LONG_EDGE', 'SHORT_EDGE'],
  orientationType: ['PORTRAIT', 'LANDSCAPE', 'AUTO'],
  marginsType: ['BORDERLESS', 'STANDARD', 'CUSTOM'],
  fitToPageType: ['NO_FITTING', 'FIT_TO_PAGE', 'GROW_TO_PAGE', 'SHRINK_TO_PAGE', 'FILL_PAGE'],
  vendorCapabilityType: ['RANGE', 'SELECT', 'TYPED_VALUE'],
  printerState: ['IDLE', 'PROCESSING', 'STOPPED'],
  connectionState: ['UNKNOWN', 'NOT_CONFIGURED', 'ONLINE', 'OFFLINE'],
} as const;
