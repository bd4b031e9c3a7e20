/** The faultline HTTP API (`faultline serve`): FIS, promotion evaluation and the release registry over HTTP. */
export {
  createApiServer,
  DEFAULT_API_PORT,
  MAX_BODY_BYTES,
  type ApiAddress,
  type ApiErrorBody,
  type ApiHandlers,
  type ApiServer,
  type ApiServerOptions,
} from './api.js';
export { editDistance, parseModuleData, parsePromotionRequest, parseQuery, parseReleaseQuery, suggest, type ReleaseQuery } from './validate.js';
