// Test page for graduasi's XForms: mounts ODK Web Forms' OdkWebForm on demand.
// The Python tests call window.graduasiLoad(formXml, attachments, preload) and read window.graduasiSubmission.
import { createApp, h } from 'vue';
import { OdkWebForm, webFormsPlugin } from '@getodk/web-forms';

let app = null;

// The monolithic payload holds one FormData whose xml_submission_file is the instance XML.
async function submissionText(payload) {
  const data = Array.isArray(payload.data) ? payload.data[0] : payload.data;
  const file = data instanceof FormData ? data.get('xml_submission_file') : null;
  return file ? await file.text() : null;
}

window.graduasiSubmission = null;
window.graduasiLoad = (formXml, attachments = {}, preload = {}) => {
  if (app) app.unmount();
  window.graduasiSubmission = null;
  // jr://file-csv/NAME.csv (and jr://file/NAME) -> the attachment text given by the test.
  const fetchFormAttachment = async (url) => {
    const name = String(url).split('/').pop();
    if (!(name in attachments)) return new Response('not found: ' + name, { status: 404 });
    const type = name.endsWith('.csv') ? 'text/csv' : 'application/octet-stream';
    return new Response(attachments[name], { status: 200, headers: { 'Content-Type': type } });
  };
  const onSubmit = async (payload, callback) => {
    if (payload.status !== 'ready') return; // the form still has errors: nothing is sent
    window.graduasiSubmission = await submissionText(payload);
    if (typeof callback === 'function') callback({ status: 'success' });
  };
  app = createApp({
    render: () =>
      h(OdkWebForm, {
        formXml,
        fetchFormAttachment,
        preloadProperties: preload,
        onSubmit,
      }),
  });
  app.use(webFormsPlugin);
  app.mount('#app');
};
