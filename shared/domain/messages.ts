/**
 * Every problem a draft can have, with what the editor reads (Vietnamese) and what ops read (English).
 * Codes are stable: reports, tests and the table in docs/editors.md name them.
 */

export interface MessageParams {
  readonly field: string;
  readonly [key: string]: string | number | undefined;
}

type Texts = { vi: (p: MessageParams) => string; en: (p: MessageParams) => string };

const example = (p: MessageParams) => (p.example ? ` Ví dụ:\n${p.example}` : '');
const exampleEn = (p: MessageParams) => (p.example ? ` For example:\n${p.example}` : '');

export const MESSAGES = {
  invalid_encoding: {
    vi: () => 'Tệp không phải văn bản UTF-8. Hãy lưu lại tệp với bảng mã "UTF-8" rồi tải lên lại.',
    en: () => 'The file is not valid UTF-8 text. Save it as UTF-8 and upload it again.',
  },
  legacy_encoding: {
    vi: (p) =>
      `Văn bản có vẻ được gõ bằng bảng mã cũ ${p.encoding} (ví dụ "${p.sample}"). Hãy chuyển sang Unicode (UTF-8), chẳng hạn bằng công cụ chuyển mã của Unikey, rồi tải lên lại.`,
    en: (p) =>
      `The text looks like the legacy ${p.encoding} Vietnamese encoding (e.g. "${p.sample}"). Convert it to Unicode (UTF-8) and upload it again.`,
  },
  draft_too_large: {
    vi: (p) =>
      `Tệp bài viết nặng ${p.size} byte, vượt giới hạn ${p.max} byte. Ảnh phải là tệp riêng, không nhúng vào bài.`,
    en: (p) => `The draft is ${p.size} bytes, over the ${p.max}-byte limit. Images must be separate files.`,
  },
  missing_front_matter: {
    vi: () =>
      'Bài viết phải bắt đầu bằng phần khai báo: một dòng "---", các trường (title, section, lead, author), rồi một dòng "---" nữa.',
    en: () =>
      'The draft must start with front matter: a line "---", the fields (title, section, lead, author), and another "---".',
  },
  unsupported_front_matter: {
    vi: (p) =>
      `Phần khai báo phải mở bằng một dòng chỉ có "---" (đang là "${p.found}"); chỉ chấp nhận khai báo YAML.`,
    en: (p) =>
      `The front matter must open with a line of exactly "---" (found "${p.found}"); only YAML is accepted.`,
  },
  unterminated_front_matter: {
    vi: () =>
      'Phần khai báo thiếu dòng "---" đóng lại. Thêm một dòng "---" sau trường cuối cùng, trước nội dung bài.',
    en: () =>
      'The front matter has no closing "---" line. Add one after the last field, before the article text.',
  },
  invalid_yaml: {
    vi: (p) =>
      `Phần khai báo không đúng cú pháp YAML (${p.detail}). Kiểm tra dòng được nêu; đặt văn bản có dấu ":" hoặc bắt đầu bằng ký tự đặc biệt trong dấu ngoặc kép.`,
    en: (p) =>
      `The front matter is not valid YAML (${p.detail}). Check the line it names; quote text that contains ":" or starts with a special character.`,
  },
  not_a_mapping: {
    vi: () => 'Phần khai báo phải gồm các dòng "trường: giá trị" (title, section, lead, author).',
    en: () => 'The front matter must be a list of "field: value" lines (title, section, lead, author).',
  },
  required: {
    vi: (p) => `Thiếu trường "${p.field}". Hãy thêm vào phần khai báo.${example(p)}`,
    en: (p) => `"${p.field}" is missing. Add it to the front matter.${exampleEn(p)}`,
  },
  wrong_type: {
    vi: (p) => `Trường "${p.field}" phải là ${p.expectedVi}, không phải ${p.gotVi}.${example(p)}`,
    en: (p) => `"${p.field}" must be ${p.expected}, not ${p.got}.${exampleEn(p)}`,
  },
  empty: {
    vi: (p) => `Trường "${p.field}" đang để trống. Hãy điền nội dung.${example(p)}`,
    en: (p) => `"${p.field}" is empty. Fill it in.${exampleEn(p)}`,
  },
  too_long: {
    vi: (p) => `Trường "${p.field}" dài ${p.length} ký tự, tối đa ${p.max}. Hãy rút gọn.`,
    en: (p) => `"${p.field}" is ${p.length} characters long; at most ${p.max} are allowed. Shorten it.`,
  },
  too_many: {
    vi: (p) => `Trường "${p.field}" có quá nhiều mục: tối đa ${p.max}.`,
    en: (p) => `"${p.field}" has too many entries: at most ${p.max}.`,
  },
  invalid_value: {
    vi: (p) => `Trường "${p.field}" chỉ nhận một trong các giá trị: ${p.allowed}.`,
    en: (p) => `"${p.field}" must be one of: ${p.allowed}.`,
  },
  invalid_format: {
    vi: (p) =>
      `Trường "${p.field}" chỉ được chứa chữ, số và các dấu ".", "_", "-", "/" (tối đa ${p.max} ký tự).`,
    en: (p) =>
      `"${p.field}" may only contain letters, digits, ".", "_", "-" and "/" (at most ${p.max} characters).`,
  },
  unknown_section: {
    vi: (p) => `"${p.value}" không phải chuyên mục của trang. Hãy dùng một trong: ${p.allowed}.`,
    en: (p) => `"${p.value}" is not a section of this site. Use one of: ${p.allowed}.`,
  },
  invalid_date: {
    vi: (p) =>
      `"${p.value}" không phải ngày giờ hợp lệ có múi giờ. Hãy viết như 2023-12-30T21:00:00+07:00 (giờ Việt Nam là +07:00).`,
    en: (p) =>
      `"${p.value}" is not a real date and time with an offset. Write it like 2023-12-30T21:00:00+07:00.`,
  },
  invalid_slug: {
    vi: (p) =>
      `"${p.value}" không dùng được làm đường dẫn: chỉ chữ thường không dấu, số và dấu "-", tối đa ${p.max} ký tự (ví dụ "${p.suggestion}").`,
    en: (p) =>
      `"${p.value}" is not a valid slug: lowercase ASCII letters, digits and "-", at most ${p.max} characters (e.g. "${p.suggestion}").`,
  },
  reserved_slug: {
    vi: (p) => `Đường dẫn "${p.value}" được trang dành riêng. Hãy đặt "slug:" khác, ví dụ "${p.suggestion}".`,
    en: (p) =>
      `The slug "${p.value}" is reserved by the site. Set a different "slug:", e.g. "${p.suggestion}".`,
  },
  empty_slug: {
    vi: () => 'Không tạo được đường dẫn từ tiêu đề này (không có chữ hoặc số). Hãy thêm trường "slug:".',
    en: () => 'No URL can be made from this title (it has no letters or digits). Add a "slug:" field.',
  },
  bad_key: {
    vi: (p) =>
      `Tên tệp "${p.key}" không dùng làm mã bài được (quá dài hoặc có ký tự lạ). Hãy đổi tên tệp cho ngắn gọn, hoặc thêm trường "id:".`,
    en: (p) =>
      `The file name "${p.key}" cannot serve as the article id (too long or odd characters). Rename the file, or add an "id:" field.`,
  },
  empty_body: {
    vi: () => 'Bài viết chưa có nội dung. Hãy viết nội dung bên dưới dòng "---" đóng phần khai báo.',
    en: () => 'The article has no text. Write the body below the closing "---" of the front matter.',
  },
  body_too_long: {
    vi: (p) => `Nội dung bài dài ${p.length} ký tự, vượt giới hạn ${p.max}. Hãy chia thành nhiều bài.`,
    en: (p) => `The body is ${p.length} characters long, over the ${p.max} limit. Split the article.`,
  },
  article_too_large: {
    vi: (p) =>
      `Bài viết sau khi dàn trang nặng ${p.size} KB, vượt giới hạn lưu trữ ${p.max} KB của một bài. Hãy rút ngắn nội dung (bớt đoạn văn, hoặc bớt ký tự đặc biệt như dấu ngoặc kép ", dấu < > và &, vốn chiếm nhiều chỗ khi dàn trang) hoặc tách thành nhiều bài.`,
    en: (p) =>
      `The article is ${p.size} KB once rendered, over the ${p.max} KB an article record may hold. Shorten it (fewer paragraphs, or fewer of the characters that take room when rendered: quotes, < > and &) or split it.`,
  },
  too_many_images: {
    vi: (p) => `Bài có ${p.count} ảnh, tối đa ${p.max}.`,
    en: (p) => `The article uses ${p.count} images; at most ${p.max} are allowed.`,
  },
  image_outside_folder: {
    vi: (p) =>
      `Ảnh "${p.src}" phải là tệp tải lên cạnh bài viết, ghi theo đường dẫn tương đối như images/anh.jpg.`,
    en: (p) =>
      `The image "${p.src}" must be a file uploaded beside the draft, written as a relative path like images/photo.jpg.`,
  },
  unsupported_image_type: {
    vi: (p) =>
      `Ảnh "${p.src}" không phải JPEG, PNG, WebP, GIF hay AVIF. Hãy chuyển sang JPEG rồi tải lên lại.`,
    en: (p) =>
      `The image "${p.src}" is not a JPEG, PNG, WebP, GIF or AVIF file. Convert it to JPEG and upload it again.`,
  },
  image_missing: {
    vi: (p) =>
      `Chưa có ảnh ${p.src} trong kho bài (cần ở ${p.key}). Hãy tải ảnh lên; bài sẽ được đăng ngay khi có ảnh.`,
    en: (p) =>
      `The image ${p.src} is not in the drafts bucket (expected at ${p.key}). Upload it; the article is published as soon as it arrives.`,
  },
  image_empty: {
    vi: (p) => `Tệp ảnh ${p.src} rỗng (0 byte). Hãy tải lại tệp ảnh.`,
    en: (p) => `The image file ${p.src} is empty (0 bytes). Upload it again.`,
  },
  image_too_large: {
    vi: (p) => `Ảnh ${p.src} nặng ${p.size} byte, vượt giới hạn ${p.max} byte. Hãy giảm dung lượng ảnh.`,
    en: (p) => `The image ${p.src} is ${p.size} bytes, over the ${p.max}-byte limit. Make it smaller.`,
  },
  image_type_mismatch: {
    vi: (p) =>
      `Tệp ${p.src} có đuôi của ảnh ${p.claimed} nhưng nội dung ${p.actualVi}. Hãy lưu lại đúng định dạng ảnh.`,
    en: (p) =>
      `The file ${p.src} is named as ${p.claimed} but its content is ${p.actual}. Save it in the right format.`,
  },
  image_dimensions: {
    vi: (p) =>
      `Ảnh ${p.src} có kích thước ${p.width}×${p.height} điểm ảnh, vượt giới hạn ${p.max}. Hãy thu nhỏ ảnh.`,
    en: (p) => `The image ${p.src} is ${p.width}×${p.height} pixels, over the ${p.max} limit. Scale it down.`,
  },
  image_frames: {
    vi: (p) =>
      `Ảnh động ${p.src} có ${p.frames} khung hình cỡ ${p.width}×${p.height}, vượt giới hạn: tối đa ${p.maxFrames} khung hình và ${p.maxPixels} triệu điểm ảnh cho cả ảnh. Hãy cắt bớt khung hình hoặc thu nhỏ ảnh.`,
    en: (p) =>
      `The animated image ${p.src} has ${p.frames} frames of ${p.width}×${p.height}, over the limits of ${p.maxFrames} frames and ${p.maxPixels} million pixels in all. Cut frames or scale it down.`,
  },
  image_undecodable: {
    vi: (p) =>
      `Không đọc được ảnh ${p.src}: tệp bị hỏng hoặc chưa tải lên hết. Hãy mở ảnh trong phần mềm chỉnh ảnh, xuất (Export) lại thành tệp mới rồi tải lên lại.`,
    en: (p) =>
      `The image ${p.src} cannot be decoded: the file is damaged or incomplete. Export it again from the photo editor and upload it again.`,
  },
  slug_taken: {
    vi: (p) =>
      `Đường dẫn ${p.path} đã thuộc về bài "${p.holder}". Hãy thêm "slug:" khác vào bài này, ví dụ "${p.suggestion}".`,
    en: (p) =>
      `The address ${p.path} already belongs to the article "${p.holder}". Add a different "slug:", e.g. "${p.suggestion}".`,
  },
  duplicate_id: {
    vi: (p) =>
      `Mã bài "${p.id}" đã thuộc về tệp ${p.other}. Hãy đặt "id:" riêng cho bài này, hoặc xoá tệp kia.`,
    en: (p) =>
      `The id "${p.id}" already belongs to the draft ${p.other}. Give this draft its own "id:", or remove the other draft.`,
  },
  tag_without_letters: {
    vi: (p) => `Từ khóa "${p.tag}" không có chữ hay số nào nên được bỏ qua.`,
    en: (p) => `The tag "${p.tag}" has no letter or digit and was left out.`,
  },
  invisible_characters_removed: {
    vi: (p) =>
      `${p.field === 'body' ? 'Nội dung bài' : `Trường "${p.field}"`} có ký tự ẩn hoặc ký tự điều khiển (thường lẫn vào khi dán từ Word hay trang web) nên các ký tự đó đã được xoá. Hãy kiểm tra lại xem chữ hiển thị có đúng không.`,
    en: (p) =>
      `${p.field === 'body' ? 'The body' : `"${p.field}"`} held invisible or control characters (often pasted in from Word or a web page); they were removed. Check that the text still reads as intended.`,
  },
  unknown_field: {
    vi: (p) =>
      `Trường "${p.field}" không phải trường của bài viết nên được bỏ qua. Các trường hợp lệ: ${p.known}.`,
    en: (p) => `"${p.field}" is not a draft field and was ignored. Known fields: ${p.known}.`,
  },
  processing_failed: {
    vi: (p) =>
      `Đăng bài không thành công vì lỗi ngoài bài viết (${p.reason}). Hệ thống tự thử lại; nếu báo cáo này vẫn còn, hãy báo bộ phận kỹ thuật.`,
    en: (p) =>
      `Publishing failed for a reason outside the draft (${p.reason}). It is retried automatically; if this stays, ops must look.`,
  },
} satisfies Record<string, Texts>;

export type ProblemCode = keyof typeof MESSAGES;
