//! Prescription photos: decoded under limits, turned upright, downscaled, stripped of every
//! metadata block (EXIF, GPS, XMP, ICC) by re-encoding only the pixels, thumbnailed, and
//! addressed by the SHA-256 of what is stored. They live in the encrypted database.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

/// The largest file accepted (a phone photo is 2–8 MB).
pub const MAX_FILE_BYTES: usize = 30 * 1024 * 1024;
/// The largest width or height decoded; anything bigger is a bomb or a scan gone wrong.
pub const MAX_DECODED_SIDE: u32 = 12_000;
/// The longest side of a stored photo.
pub const STORED_SIDE: u32 = 2000;
/// The longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 256;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// A photo ready to store.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Photo {
    /// SHA-256 of `bytes`, hex.
    pub sha256: String,
    /// Stored width.
    pub width: u32,
    /// Stored height.
    pub height: u32,
    /// The re-encoded JPEG.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// The thumbnail JPEG.
    #[serde(skip)]
    pub thumbnail: Vec<u8>,
}

/// Turns an uploaded file into a clean photo, or refuses it with a reason a person reads.
pub fn process(file: &[u8]) -> Result<Photo> {
    let image = decode(file)?;
    let image = if image.width().max(image.height()) > STORED_SIDE {
        image.resize(STORED_SIDE, STORED_SIDE, FilterType::Lanczos3)
    } else {
        image
    };
    let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
    let bytes = encode_jpeg(&rgb, 85)?;
    let thumbnail = encode_jpeg(&rgb.thumbnail(THUMB_SIDE, THUMB_SIDE), 75)?;
    Ok(Photo {
        sha256: hex::encode(Sha256::digest(&bytes)),
        width: rgb.width(),
        height: rgb.height(),
        bytes,
        thumbnail,
    })
}

/// A photo another machine processed, received by its name: checked against the name and
/// decoded under the same limits (a peer's bytes are not trusted), kept byte for byte so its
/// name stays true, and thumbnailed here.
pub fn adopt(sha256: &str, bytes: Vec<u8>) -> Result<Photo> {
    // Every photo a machine stores was re-encoded as JPEG by `process`.
    if hex::encode(Sha256::digest(&bytes)) != sha256 || !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(CoreError::BadImage {
            reason: "damaged-image".into(),
        });
    }
    let image = decode(&bytes)?;
    if image.width().max(image.height()) > STORED_SIDE {
        return Err(CoreError::ImageTooLarge {
            limit: format!("{STORED_SIDE} × {STORED_SIDE} pixels"),
        });
    }
    let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
    Ok(Photo {
        sha256: sha256.to_string(),
        width: rgb.width(),
        height: rgb.height(),
        thumbnail: encode_jpeg(&rgb.thumbnail(THUMB_SIDE, THUMB_SIDE), 75)?,
        bytes,
    })
}

/// Decodes a JPEG, PNG or WebP file under the size limits and turns it upright.
fn decode(file: &[u8]) -> Result<DynamicImage> {
    if file.len() > MAX_FILE_BYTES {
        return Err(CoreError::ImageTooLarge {
            limit: format!("{} MB", MAX_FILE_BYTES / (1024 * 1024)),
        });
    }
    let reader = ImageReader::new(Cursor::new(file))
        .with_guessed_format()
        .map_err(|e| CoreError::BadImage {
            reason: e.to_string(),
        })?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => {
            return Err(CoreError::BadImage {
                reason: "not-an-image".into(),
            })
        }
    }
    if reader.format() == Some(ImageFormat::Jpeg) && !jpeg_is_complete(file) {
        return Err(CoreError::BadImage {
            reason: "damaged-image".into(),
        });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    decoder.set_limits(limits).map_err(decode_error)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The JPEG decoder fills a cut-off file with grey rather than failing, so check that the
/// last scan (FF DA) is followed by the end-of-image marker (FF D9). Entropy-coded data
/// escapes 0xFF, so the pair only occurs as a real marker; an EXIF thumbnail's own scan
/// comes earlier, inside APP1, and does not fool the check.
fn jpeg_is_complete(file: &[u8]) -> bool {
    let Some(last_scan) = file.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    file[last_scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

fn decode_error(err: image::ImageError) -> CoreError {
    match err {
        image::ImageError::Limits(_) => CoreError::ImageTooLarge {
            limit: format!("{MAX_DECODED_SIDE} × {MAX_DECODED_SIDE} pixels"),
        },
        image::ImageError::Unsupported(_) => CoreError::BadImage {
            reason: "unsupported-image".into(),
        },
        _ => CoreError::BadImage {
            reason: "damaged-image".into(),
        },
    }
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    // The encoder writes pixels and a plain JFIF header only: no EXIF, no GPS.
    image
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(|e| CoreError::BadImage {
            reason: e.to_string(),
        })?;
    Ok(out)
}

/// Stores a processed photo (idempotent: the same photo twice is one row); `uploaded` when
/// it came from the sync server, which therefore holds it.
pub(crate) fn store(tx: &Transaction<'_>, photo: &Photo, uploaded: bool) -> Result<()> {
    tx.execute("DELETE FROM blob_wants WHERE sha256 = ?1", [&photo.sha256])?;
    tx.execute(
        "INSERT OR IGNORE INTO blobs (sha256, mime, width, height, bytes, thumbnail, uploaded)
         VALUES (?1, 'image/jpeg', ?2, ?3, ?4, ?5, ?6)",
        params![
            photo.sha256,
            photo.width,
            photo.height,
            photo.bytes,
            photo.thumbnail,
            uploaded
        ],
    )?;
    Ok(())
}

/// A stored photo's JPEG bytes, full size or thumbnail.
pub(crate) fn load(conn: &Connection, sha256: &str, thumbnail: bool) -> Result<Vec<u8>> {
    let column = if thumbnail { "thumbnail" } else { "bytes" };
    conn.query_row(
        &format!("SELECT {column} FROM blobs WHERE sha256 = ?1"),
        [sha256],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| CoreError::not_found("photo", sha256))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    /// Splices an EXIF APP1 segment carrying a GPS IFD right after the JPEG's SOI marker.
    fn with_gps_exif(jpeg: &[u8]) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes());
        // IFD0: one entry, GPSInfo (0x8825) pointing at the GPS IFD at offset 26.
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&26u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        // GPS IFD: GPSLatitudeRef "N" plus a marker string to look for afterwards.
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&2u32.to_le_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(b"GPS-SECRET-30.0444N-31.2357E");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn gps_metadata_is_gone_from_an_imported_photo() {
        let original = with_gps_exif(&jpeg(64, 48));
        assert!(original.windows(10).any(|w| w == b"GPS-SECRET"));
        let photo = process(&original).unwrap();
        for stored in [&photo.bytes, &photo.thumbnail] {
            assert!(!stored.windows(10).any(|w| w == b"GPS-SECRET"));
            assert!(!stored.windows(6).any(|w| w == b"Exif\0\0"));
        }
        assert_eq!((photo.width, photo.height), (64, 48));
        assert_eq!(photo.sha256, hex::encode(Sha256::digest(&photo.bytes)));
    }

    #[test]
    fn large_photos_are_downscaled_to_2000_pixels() {
        let photo = process(&jpeg(3000, 1500)).unwrap();
        assert_eq!((photo.width, photo.height), (2000, 1000));
        let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
        assert_eq!(thumb.width().max(thumb.height()), THUMB_SIDE);
    }

    #[test]
    fn non_images_truncated_files_and_bombs_are_refused() {
        assert!(matches!(
            process(b"%PDF-1.7 not a photo"),
            Err(CoreError::BadImage { .. })
        ));
        let good = jpeg(400, 300);
        let truncated = &good[..good.len() / 3];
        assert!(
            matches!(process(truncated), Err(CoreError::BadImage { .. })),
            "truncated jpeg accepted"
        );
        // A PNG header claiming 100000 × 100000 pixels: tiny file, 30 GB decoded.
        let mut bomb = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bomb)
            .write_image(&[0u8; 3], 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap();
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let err = process(&bomb).unwrap_err();
        assert!(
            matches!(
                err,
                CoreError::ImageTooLarge { .. } | CoreError::BadImage { .. }
            ),
            "{err:?}"
        );
    }
}
